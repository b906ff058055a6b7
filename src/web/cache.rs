//! Finished reviews in memory, bounded by bytes: least recently used first out, and one load per review
//! at a time (a burst of requests for an evicted review waits for a single read from disk instead of each
//! doing it). Reviews are read from their stored record, never recomputed.

use crate::review::Review;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

struct Entry {
    review: Arc<Review>,
    bytes: u64,
    used: u64,
}

pub struct ReviewCache {
    max_bytes: u64,
    inner: Mutex<(HashMap<String, Entry>, u64)>,
    loading: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl ReviewCache {
    pub fn new(max_bytes: u64) -> ReviewCache {
        ReviewCache { max_bytes, inner: Mutex::new((HashMap::new(), 0)), loading: Mutex::new(HashMap::new()) }
    }

    fn lookup(&self, key: &str) -> Option<Arc<Review>> {
        let mut inner = self.inner.lock().ok()?;
        inner.1 += 1;
        let tick = inner.1;
        let e = inner.0.get_mut(key)?;
        e.used = tick;
        Some(e.review.clone())
    }

    /// Put a review in (its stored size as its weight), evicting the least recently used to stay in budget.
    pub fn insert(&self, key: &str, review: Arc<Review>, bytes: u64) {
        let Ok(mut inner) = self.inner.lock() else { return };
        inner.1 += 1;
        let used = inner.1;
        inner.0.insert(key.to_string(), Entry { review, bytes, used });
        let mut total: u64 = inner.0.values().map(|e| e.bytes).sum();
        while total > self.max_bytes && inner.0.len() > 1 {
            let Some(oldest) = inner.0.iter().filter(|(k, _)| k.as_str() != key).min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(e) = inner.0.remove(&oldest) {
                total -= e.bytes;
            }
        }
    }

    pub fn remove(&self, key: &str) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.0.remove(key);
        }
    }

    /// Bytes held now.
    pub fn held(&self) -> u64 {
        self.inner.lock().map(|i| i.0.values().map(|e| e.bytes).sum()).unwrap_or(0)
    }

    /// The review under `key`, loading it with `load` (returning the review and its size) when it is not
    /// held; concurrent callers for one key share a single load. Blocking: call from a blocking thread.
    pub fn get_or_load<E>(&self, key: &str, load: impl FnOnce() -> Result<(Review, u64), E>) -> Result<Arc<Review>, E> {
        if let Some(r) = self.lookup(key) {
            return Ok(r);
        }
        let gate = {
            let mut loading = self.loading.lock().unwrap_or_else(|p| p.into_inner());
            loading.entry(key.to_string()).or_insert_with(|| Arc::new(Mutex::new(()))).clone()
        };
        let _turn = gate.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = self.lookup(key) {
            return Ok(r);
        }
        let (review, bytes) = load()?;
        let review = Arc::new(review);
        self.insert(key, review.clone(), bytes);
        if let Ok(mut loading) = self.loading.lock() {
            loading.remove(key);
        }
        Ok(review)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn review() -> Review {
        serde_json::from_value(serde_json::json!({
            "catalog_id": "c", "catalog_title": "", "catalog_version": "", "catalog_sha256": "", "model": "", "judge": "",
            "product": "p", "product_inferred": false, "manufacturer": null, "cyber_device": null, "root": "", "started": "",
            "finished": "", "documents": [], "source_problems": [],
            "summary": {"clauses": 0, "met": 0, "partial": 0, "missing": 0, "not_applicable": 0},
            "clauses": [], "not_applicable": {}
        }))
        .expect("review")
    }

    #[test]
    fn one_load_per_key_and_bytes_bounded() {
        let cache = Arc::new(ReviewCache::new(250));
        let loads = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..32)
            .map(|_| {
                let (cache, loads) = (cache.clone(), loads.clone());
                std::thread::spawn(move || {
                    cache
                        .get_or_load("a", || {
                            loads.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            Ok::<_, ()>((review(), 100))
                        })
                        .expect("load")
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1, "concurrent requests share one load");
        cache.insert("b", Arc::new(review()), 100);
        let _ = cache.get_or_load("a", || Err::<(Review, u64), ()>(()));
        cache.insert("c", Arc::new(review()), 100);
        assert!(cache.held() <= 250);
        // "b" was used least recently: it went first.
        assert!(cache.get_or_load("b", || Err::<(Review, u64), _>("evicted")).is_err());
    }
}
