//! "This word, or an event of this category": a query that checks the category column at the
//! documents it is asked about instead of reading a posting list.
//!
//! A category word ("concert", "opera") matches a large share of all events. As an ordinary
//! term clause inside a word's disjunction, tantivy's buffered union would walk its whole
//! posting list even when the other words of the query select a few thousand events. This
//! scorer wraps the word's other clauses and answers `seek(target)` from a per-segment bit set
//! of the category's events (built once from the category column and kept with the segment),
//! so its cost follows the selective part of the query.
//!
//! It deliberately knows nothing about text: which words are categories is decided by the
//! caller from the categories present in the index.

use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::segment::{DocBits, SegmentCache};

/// Matches `text`, or events whose category contains `word` as a word (constant `score`).
pub(crate) struct CategoryOrQuery {
    pub word: String,
    pub score: Score,
    pub text: Box<dyn Query>,
    pub segments: Arc<SegmentCache>,
}

impl Clone for CategoryOrQuery {
    fn clone(&self) -> Self {
        CategoryOrQuery {
            word: self.word.clone(),
            score: self.score,
            text: self.text.box_clone(),
            segments: self.segments.clone(),
        }
    }
}

impl std::fmt::Debug for CategoryOrQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CategoryOrQuery")
            .field("word", &self.word)
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl Query for CategoryOrQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(CategoryOrWeight {
            word: self.word.clone(),
            score: self.score,
            text: self.text.weight(enable_scoring)?,
            segments: self.segments.clone(),
        }))
    }
}

struct CategoryOrWeight {
    word: String,
    score: Score,
    text: Box<dyn Weight>,
    segments: Arc<SegmentCache>,
}

impl Weight for CategoryOrWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let text = self.text.scorer(reader, boost)?;
        let data = self.segments.get(reader)?;
        let names = data.category_names()?;
        let docs = data.category_docs(reader.max_doc());
        let matching: Vec<&Arc<DocBits>> = names
            .iter()
            .zip(docs.iter())
            .filter(|(name, _)| name.split(' ').any(|w| w == self.word))
            .map(|(_, set)| set)
            .collect();
        let bits = match matching.as_slice() {
            [] => return Ok(text),
            [one] => Arc::clone(one),
            many => {
                let sets: Vec<&DocBits> = many.iter().map(|s| &***s).collect();
                Arc::new(DocBits::union(&sets))
            }
        };
        let text_doc = text.doc();
        let mut scorer = CategoryOrScorer {
            text,
            text_doc,
            bits,
            score: self.score * boost,
            max_doc: reader.max_doc(),
            doc: 0,
        };
        scorer.seek_from(0);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        Ok(Explanation::new("CategoryOr", scorer.score()))
    }
}

struct CategoryOrScorer {
    text: Box<dyn Scorer>,
    /// `text.doc()`, kept to avoid a dynamic call per document.
    text_doc: DocId,
    /// Events of the matching categories.
    bits: Arc<DocBits>,
    score: Score,
    max_doc: DocId,
    doc: DocId,
}

impl CategoryOrScorer {
    #[inline]
    fn in_category(&self, doc: DocId) -> bool {
        self.bits.contains(doc)
    }

    /// Moves to the first document at or after `target` matching either side.
    fn seek_from(&mut self, target: DocId) -> DocId {
        if self.text_doc < target {
            self.text_doc = self.text.seek(target);
        }
        let text_doc = self.text_doc;
        let end = text_doc.min(self.max_doc);
        let doc = self.bits.next(target, end);
        self.doc = if doc < end { doc } else { text_doc };
        self.doc
    }
}

impl DocSet for CategoryOrScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        self.seek_from(self.doc + 1)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        self.seek_from(target)
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        // Never the cheapest clause to lead an intersection.
        self.max_doc
    }
}

impl Scorer for CategoryOrScorer {
    fn score(&mut self) -> Score {
        let mut score = 0.0;
        if self.text_doc == self.doc {
            score += self.text.score();
        }
        if self.in_category(self.doc) {
            score += self.score;
        }
        score
    }
}
