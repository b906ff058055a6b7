//! Sentence embeddings computed locally from a static token table (`models/minilm-static/`), distilled
//! from all-MiniLM-L6-v2 by `scripts/distill-embeddings.py`: a text is split into the model's WordPiece
//! tokens and embedded as the L2-normalised mean of their vectors. No network, no randomness, microseconds
//! per passage. The table is part of the binary; its sha256 is checked against `MODEL.toml` when it is
//! first used, and every report names the model.

use std::collections::HashMap;
use std::sync::OnceLock;

const VECTORS: &[u8] = include_bytes!("../../models/minilm-static/vectors.bin");
const VOCAB: &str = include_str!("../../models/minilm-static/vocab.txt");
const META: &str = include_str!("../../models/minilm-static/MODEL.toml");
const MAGIC: &[u8] = b"CWSTATIC";

/// Longest input a text is embedded from (in WordPiece tokens); longer passages use their beginning.
const MAX_TOKENS: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("embedding model {what}: sha256 {got} does not match {expected} in MODEL.toml (the model file is damaged)")]
    Checksum { what: &'static str, got: String, expected: String },
    #[error("embedding model: {0}")]
    Format(String),
}

/// A unit vector of the model's dimension.
pub type Vector = Vec<f32>;

/// The static embedding model.
pub struct Model {
    pub name: String,
    pub sha256: String,
    dims: usize,
    /// Row-major int8 table with one scale per row, dequantised on use.
    scales: Vec<f32>,
    values: Vec<i8>,
    vocab: HashMap<String, u32>,
    unk: u32,
}

fn meta_value(key: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(META).ok()?;
    match table.get(key)? {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

impl Model {
    fn load() -> Result<Model, ModelError> {
        let expected = meta_value("vectors-sha256").ok_or_else(|| ModelError::Format("MODEL.toml lacks vectors-sha256".into()))?;
        let got = crate::model::sha256_hex(VECTORS);
        if got != expected {
            return Err(ModelError::Checksum { what: "vectors.bin", got, expected });
        }
        let expected = meta_value("vocab-sha256").ok_or_else(|| ModelError::Format("MODEL.toml lacks vocab-sha256".into()))?;
        let got = crate::model::sha256_hex(VOCAB.as_bytes());
        if got != expected {
            return Err(ModelError::Checksum { what: "vocab.txt", got, expected });
        }
        let header = VECTORS.get(..MAGIC.len() + 8).ok_or_else(|| ModelError::Format("vectors.bin is truncated".into()))?;
        if &header[..MAGIC.len()] != MAGIC {
            return Err(ModelError::Format("vectors.bin has the wrong magic".into()));
        }
        let word = |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]) as usize;
        let (rows, dims) = (word(MAGIC.len()), word(MAGIC.len() + 4));
        let body = &VECTORS[MAGIC.len() + 8..];
        if body.len() != rows * (4 + dims) {
            return Err(ModelError::Format(format!("vectors.bin holds {} bytes for {rows}×{dims}", body.len())));
        }
        let mut scales = Vec::with_capacity(rows);
        let mut values = Vec::with_capacity(rows * dims);
        for row in body.chunks_exact(4 + dims) {
            scales.push(f32::from_le_bytes([row[0], row[1], row[2], row[3]]));
            values.extend(row[4..].iter().map(|b| *b as i8));
        }
        let vocab: HashMap<String, u32> = VOCAB.lines().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect();
        if vocab.len() != rows {
            return Err(ModelError::Format(format!("vocab.txt has {} tokens for {rows} vectors", vocab.len())));
        }
        let unk = *vocab.get("[UNK]").ok_or_else(|| ModelError::Format("no [UNK] token".into()))?;
        let name = meta_value("name").unwrap_or_else(|| "static embeddings".into());
        Ok(Model { name, sha256: expected_vectors_sha(), dims, scales, values, vocab, unk })
    }

    /// The built-in model, loaded and checked once.
    pub fn get() -> Result<&'static Model, &'static ModelError> {
        static MODEL: OnceLock<Result<Model, ModelError>> = OnceLock::new();
        MODEL.get_or_init(Model::load).as_ref()
    }

    pub fn dims(&self) -> usize {
        self.dims
    }

    /// WordPiece token ids of `text` (BERT uncased: lower case, accents stripped, punctuation split).
    pub fn tokens(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::new();
        for word in basic_tokens(text) {
            self.wordpiece(&word, &mut ids);
            if ids.len() >= MAX_TOKENS {
                ids.truncate(MAX_TOKENS);
                break;
            }
        }
        ids
    }

    fn wordpiece(&self, word: &str, out: &mut Vec<u32>) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > 100 {
            out.push(self.unk);
            return;
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut buf = String::new();
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                buf.clear();
                if start > 0 {
                    buf.push_str("##");
                }
                buf.extend(&chars[start..end]);
                if let Some(id) = self.vocab.get(&buf) {
                    found = Some(*id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => pieces.push(id),
                None => {
                    out.push(self.unk);
                    return;
                }
            }
            start = end;
        }
        out.extend(pieces);
    }

    /// The embedding of `text`: the normalised mean of its token vectors (zero for a text without tokens).
    pub fn embed(&self, text: &str) -> Vector {
        let mut acc = vec![0f32; self.dims];
        let ids = self.tokens(text);
        for id in &ids {
            let row = *id as usize;
            let scale = self.scales[row];
            for (a, v) in acc.iter_mut().zip(&self.values[row * self.dims..(row + 1) * self.dims]) {
                *a += scale * f32::from(*v);
            }
        }
        normalise(&mut acc);
        acc
    }
}

fn expected_vectors_sha() -> String {
    meta_value("vectors-sha256").unwrap_or_default()
}

/// A unit vector stored as int8 with one scale: a quarter of the memory of `f32`, cosines within 0.01.
/// Passages of large stores are many; their embeddings are kept packed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Packed {
    scale: f32,
    values: Vec<i8>,
}

impl Packed {
    pub fn pack(v: &[f32]) -> Packed {
        let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
        if max == 0.0 {
            return Packed { scale: 0.0, values: vec![0; v.len()] };
        }
        let scale = max / 127.0;
        Packed { scale, values: v.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect() }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Cosine of two packed unit vectors: an exact integer dot product, scaled (the fast path of the
    /// semantic ranking, which compares every passage with every constraint's exemplars).
    pub fn dot(&self, other: &Packed) -> f32 {
        // The product of two i8 fits an i16: multiplying in 16 bits lets the compiler use the baseline
        // x86-64 (SSE2) 16-bit multiply on 16 lanes at a time instead of emulating 32-bit multiplies, the
        // hot loop of the semantic ranking. Exact: the same integer sum as multiplying in 32 bits.
        const LANES: usize = 16;
        let (a, b) = (&self.values, &other.values);
        let n = a.len().min(b.len());
        let mut acc = [0i32; LANES];
        let (ca, cb) = (a[..n].chunks_exact(LANES), b[..n].chunks_exact(LANES));
        let (ra, rb) = (ca.remainder(), cb.remainder());
        for (x, y) in ca.zip(cb) {
            for i in 0..LANES {
                acc[i] += i32::from(i16::from(x[i]) * i16::from(y[i]));
            }
        }
        let tail: i32 = ra.iter().zip(rb).map(|(x, y)| i32::from(*x) * i32::from(*y)).sum();
        self.scale * other.scale * (acc.iter().sum::<i32>() + tail) as f32
    }

    /// Cosine with a unit `f32` vector.
    pub fn cos(&self, other: &[f32]) -> f32 {
        self.scale * self.values.iter().zip(other).map(|(a, b)| f32::from(*a) * b).sum::<f32>()
    }
}

/// Scale `v` to unit length (left as is when it is zero).
pub fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Cosine of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn is_punct(c: char) -> bool {
    let cp = c as u32;
    (33..=47).contains(&cp) || (58..=64).contains(&cp) || (91..=96).contains(&cp) || (123..=126).contains(&cp) || {
        // Unicode punctuation (general category P*), approximated by the common blocks.
        matches!(cp, 0x2010..=0x2027 | 0x2030..=0x205E | 0x3000..=0x303F | 0x00A1..=0x00BF | 0xFF01..=0xFF0F)
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// Strip combining marks after a canonical decomposition of the common Latin letters.
fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
        'ñ' | 'ń' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'ū' => 'u',
        'ý' | 'ÿ' => 'y',
        'ś' | 'š' => 's',
        'ź' | 'ż' | 'ž' => 'z',
        c => c,
    }
}

/// BERT's basic tokenizer: clean, lower-case, strip accents, split on whitespace and punctuation.
fn basic_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    for c in text.chars() {
        if c == '\0' || c == '\u{FFFD}' || (c.is_control() && !c.is_whitespace()) || ('\u{0300}'..='\u{036F}').contains(&c) {
            continue;
        }
        if c.is_whitespace() {
            flush(&mut cur, &mut out);
        } else if is_punct(c) || is_cjk(c) {
            flush(&mut cur, &mut out);
            out.push(c.to_string());
        } else {
            for l in c.to_lowercase() {
                cur.push(fold_accent(l));
            }
        }
    }
    flush(&mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The 16-bit lane dot product is the exact integer dot product, extremes and odd lengths included.
    #[test]
    fn packed_dot_is_exact() {
        let mut seed = 0x2026_1205_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ((seed % 255) as i16 - 127) as i8
        };
        for len in [0, 1, 15, 16, 17, 256, 300] {
            let a: Vec<i8> = (0..len).map(|_| next()).collect();
            let b: Vec<i8> = (0..len).map(|_| next()).collect();
            let naive: i32 = a.iter().zip(&b).map(|(x, y)| i32::from(*x) * i32::from(*y)).sum();
            let (pa, pb) = (Packed { scale: 1.0, values: a }, Packed { scale: 1.0, values: b });
            assert_eq!(pa.dot(&pb), naive as f32, "length {len}");
        }
        let max = Packed { scale: 1.0, values: vec![-127; 256] };
        assert_eq!(max.dot(&max), (127 * 127 * 256) as f32);
    }

    /// The expected tokens are what Hugging Face `tokenizers` gives with the model's own tokenizer.json.
    #[test]
    fn tokenizer_matches_bert_uncased() {
        let m = Model::get().expect("model loads and its sha256 matches");
        let vocab: Vec<&str> = VOCAB.lines().collect();
        let words = |t: &str| -> Vec<&str> { m.tokens(t).iter().map(|i| vocab[*i as usize]).collect() };
        assert_eq!(
            words("Penetration-testing of the BLE pairing (SMP) isn't optional."),
            ["penetration", "-", "testing", "of", "the", "b", "##le", "pairing", "(", "sm", "##p", ")", "isn", "'", "t", "optional", "."]
        );
        assert_eq!(
            words("Café naïve résumé — SBOM/VEX, CycloneDX 1.5; «quotes» 5.5.1 DEV-0042 ISO/IEC 81001-5-1:2021 日本"),
            [
                "cafe", "naive", "resume", "—", "sb", "##om", "/", "ve", "##x", ",", "cyclone", "##d", "##x", "1", ".", "5", ";", "«",
                "quotes", "»", "5", ".", "5", ".", "1", "dev", "-", "00", "##42", "iso", "/", "iec", "81", "##00", "##1", "-", "5", "-",
                "1", ":", "2021", "日", "本"
            ]
        );
    }

    /// Cosines of known sentence pairs, pinned: a change of model, tokenizer or pooling shows here first.
    #[test]
    fn cosines_of_known_pairs_are_pinned() {
        let m = Model::get().expect("model");
        let cos = |a: &str, b: &str| cosine(&m.embed(a), &m.embed(b));
        let pairs = [
            ("The manufacturer shall maintain a risk management file.", "A risk management file is kept by the device maker.", PIN[0]),
            ("The manufacturer shall maintain a risk management file.", "The cafeteria opens at noon on Fridays.", PIN[1]),
            (
                "Every pull request is reviewed by a second engineer before merge.",
                "Code changes need a four-eyes review before they are accepted.",
                PIN[2],
            ),
            (
                "Every pull request is reviewed by a second engineer before merge.",
                "Invoices are paid within thirty days of receipt.",
                PIN[3],
            ),
            (
                "An external firm performed a penetration test of the release.",
                "Independent testers attacked the product to find exploitable weaknesses.",
                PIN[4],
            ),
        ];
        let all: Vec<f32> = pairs.iter().map(|(a, b, _)| cos(a, b)).collect();
        for ((a, b, want), got) in pairs.iter().zip(&all) {
            assert!((got - want).abs() < 1e-4, "cos({a:?}, {b:?}) = {got}, pinned {want}; all: {all:?}");
        }
        // Related pairs stay above unrelated ones.
        const { assert!(PIN[0] > PIN[1] + 0.2 && PIN[2] > PIN[3] + 0.2) };
        assert_eq!(m.embed("").iter().filter(|x| **x != 0.0).count(), 0, "no tokens, zero vector");
    }

    // The full transformer gives 0.7484 and -0.0532 for the first two pairs (scripts/distill-embeddings.py checks it).
    #[test]
    fn packed_vectors_keep_cosines() {
        let m = Model::get().expect("model");
        let (a, b) = (m.embed("Every pull request is reviewed."), m.embed("Code changes need a second engineer's approval."));
        assert!((Packed::pack(&a).cos(&b) - cosine(&a, &b)).abs() < 0.01);
    }

    const PIN: [f32; 5] = [0.792_069_6, 0.083_773_19, 0.687_860_6, 0.295_395_28, 0.446_230_62];
}
