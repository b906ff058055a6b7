//! Passages → features, below evaluation and above extraction: the catalog's concept groups matched in
//! one pass per passage (`concepts`) and sentence embeddings from a local static model (`embed`).
//! Features depend on the passage text, the catalog and the model only, never on other documents.

pub mod concepts;
pub mod embed;
