//! Text folding shared by indexing, querying and suggestions.
//!
//! Every piece of text goes through one analyzer: Unicode NFC normalisation (so decomposed
//! input such as `"Bjo\u{308}rk"` behaves like `"Björk"`), splitting on anything that is not a
//! letter or digit, lowercasing and ASCII folding (`ö` → `o`, `ß` → `ss`). The same analyzer is
//! registered with tantivy for the indexed text fields, so query terms and index terms always
//! agree. Keyword keys (city, venue, performer names) are the folded tokens joined by one space.
//!
//! It deliberately does no stemming, stop-word removal at index time or language detection:
//! names of performers and venues are the main thing people type, and stemming them does more
//! harm than good.

use std::borrow::Cow;
use std::cell::RefCell;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Name under which the folding analyzer is registered with the tantivy index.
pub(crate) const FOLD_TOKENIZER: &str = "boxoffice_fold";

/// Tokens longer than this (in bytes) are dropped: they are never names people type.
const MAX_TOKEN_LEN: usize = 64;

/// Words dropped from free-text queries (not from the index) when the query has other words.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "the", "of", "in", "at", "on", "for", "to", "der", "die", "das", "und", "le",
    "la", "les", "de", "des", "du", "el", "los", "il", "et",
];

pub(crate) fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

thread_local! {
    static ANALYZER: RefCell<TextAnalyzer> = RefCell::new(analyzer());
}

/// NFC-normalises `text`, borrowing when it already is.
pub(crate) fn nfc(text: &str) -> Cow<'_, str> {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.nfc().collect())
    }
}

/// Folded tokens of `text`, in order.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let text = nfc(text);
    ANALYZER.with(|analyzer| {
        let mut analyzer = analyzer.borrow_mut();
        let mut stream = analyzer.token_stream(&text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push(token.text.clone());
        }
        out
    })
}

/// Folded key of `text`: its tokens joined by single spaces ("São  Paulo!" → "sao paulo").
pub(crate) fn key(text: &str) -> String {
    tokens(text).join(" ")
}

pub(crate) fn is_stop_word(token: &str) -> bool {
    STOP_WORDS.contains(&token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(tokens("Die Zauberflöte"), vec!["die", "zauberflote"]);
        assert_eq!(key("BJÖRK"), "bjork");
        assert_eq!(key("München"), "munchen");
        assert_eq!(key("  São   Paulo! "), "sao paulo");
        assert_eq!(key("Straße"), "strasse");
    }

    #[test]
    fn decomposed_input_is_composed_first() {
        assert_eq!(key("Bjo\u{308}rk"), "bjork");
    }

    #[test]
    fn punctuation_splits_words() {
        assert_eq!(tokens("AC/DC — Power Up"), vec!["ac", "dc", "power", "up"]);
    }
}
