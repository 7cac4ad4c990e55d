//! [`SearchIndex`]: the on-disk tantivy index of events, its single writer, its reader and the
//! in-memory autocomplete structure, shared by every task through an `Arc`.
//!
//! Writes are serialised by a mutex around one long-lived `IndexWriter` (256 MB budget); each
//! [`SearchIndex::apply`] is one tantivy commit carrying the change-feed cursor in its payload,
//! after which the reader is reloaded explicitly so the change is visible when `apply` returns.
//! Searches never take the writer lock.
//!
//! It deliberately does not decide *when* to rebuild: when the directory holds something it
//! cannot use, [`SearchIndex::open`] wipes it, starts empty and says so in the returned
//! [`OpenOutcome`]; refilling it is the caller's job.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use tantivy::collector::Collector;
use tantivy::index::SegmentId;
use tantivy::indexer::{LogMergePolicy, NoMergePolicy};
use tantivy::query::Query;
use tantivy::schema::{IndexRecordOption, Schema, Value};
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, SegmentReader,
    TantivyDocument, TantivyError, Term, TERMINATED,
};

use super::collector::{self, add_counts, Candidate, Collected, EventCollector, SortKey};
use super::query::{self, TextQuery};
use super::schema::{self, col, parse_performer_entry, Fields, SCHEMA_VERSION};
use super::segment::{i64_column, next_show, str_column, SegmentCache};
use super::suggest::{EventEntities, Suggester};
use super::text::{self, FOLD_TOKENIZER};
use super::{
    EventDoc, Facets, OpenOutcome, SearchError, SearchHit, SearchQuery, SearchResults, SortOrder,
    Suggestion,
};

/// Memory budget of the index writer, shared by its threads.
const WRITER_MEMORY_BYTES: usize = 256 * 1024 * 1024;
/// Largest page size honoured; larger limits are clamped.
pub const MAX_LIMIT: usize = 200;
/// Largest `offset + limit` accepted (deep pagination is refused).
pub const MAX_WINDOW: usize = 10_000;

/// What is stored in each commit's payload.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    schema_version: u32,
    cursor: i64,
}

/// The event search index. Cheap to clone; all clones share one index, writer and reader.
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    cursor: AtomicI64,
    generation: AtomicU64,
    suggester: RwLock<Suggester>,
    segments: Arc<SegmentCache>,
    /// Facets of the whole index, for the searcher generation they were counted on.
    all_facets: Mutex<Option<(u64, Facets)>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.inner.dir)
            .field("cursor", &self.cursor())
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

/// Why an existing directory could not be used as is.
enum OpenFailure {
    /// Unusable contents: wipe and start over.
    Unusable(String),
    /// Something that wiping would not fix (e.g. another process holds the writer lock).
    Fatal(SearchError),
}

fn register_tokenizer(index: &Index) {
    index
        .tokenizers()
        .register(FOLD_TOKENIZER, text::analyzer());
}

fn is_lock_failure(e: &TantivyError) -> bool {
    matches!(e, TantivyError::LockFailure(..))
}

/// Whether `name` is a file tantivy keeps in an index directory: its metadata and lock files,
/// and segment files named `<32 hex digits>.<extension>`.
fn is_index_file(name: &str) -> bool {
    const FIXED: [&str; 4] = [
        "meta.json",
        ".managed.json",
        ".tantivy-meta.lock",
        ".tantivy-writer.lock",
    ];
    if FIXED.contains(&name) {
        return true;
    }
    let (stem, _) = name.split_at(name.len().min(32));
    stem.len() == 32
        && stem.bytes().all(|b| b.is_ascii_hexdigit())
        && name.as_bytes().get(32) == Some(&b'.')
}

/// Removes the index files inside `dir`; anything else (a misconfigured path pointing at a
/// directory with other data) is left alone and reported.
fn wipe(dir: &Path) -> Result<(), SearchError> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_file() && is_index_file(&name) {
            fs::remove_file(entry.path())?;
        } else {
            tracing::warn!(dir = %dir.display(), file = %name, "leaving a non-index file in the search index directory");
        }
    }
    Ok(())
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

pub(super) fn search_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4)
}

/// Searches segments in parallel: on a lightly loaded server this divides the latency of the
/// heavy queries (large match sets) by the number of cores.
fn use_threads(index: &mut Index) -> Result<(), TantivyError> {
    match search_threads() {
        1 => Ok(()),
        n => index.set_multithread_executor(n),
    }
}

fn open_writer(index: &Index) -> Result<IndexWriter<TantivyDocument>, TantivyError> {
    // One indexing thread: every commit then writes (and fsyncs) one new segment rather than
    // one per thread, which is what keeps the frequent small applies fast; a full rebuild is
    // still well within budget, and merges run on their own threads anyway.
    let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
    writer.set_merge_policy(merge_policy());
    Ok(writer)
}

/// The merge policy of steady-state updates: small segments of frequent applies are merged
/// in the background.
fn merge_policy() -> Box<dyn tantivy::indexer::MergePolicy> {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(4);
    policy.set_del_docs_ratio_before_merge(0.3);
    Box::new(policy)
}

/// Splits segments into `groups` sets of about the same number of documents (largest first,
/// each to the lightest set), leaving out empty sets.
pub(super) fn balanced_groups(
    mut segments: Vec<(SegmentId, u32)>,
    groups: usize,
) -> Vec<Vec<SegmentId>> {
    segments.sort_unstable_by_key(|&(_, docs)| std::cmp::Reverse(docs));
    let mut sets: Vec<(u64, Vec<SegmentId>)> = vec![(0, Vec::new()); groups.max(1)];
    for (id, docs) in segments {
        if let Some(lightest) = sets.iter_mut().min_by_key(|(n, _)| *n) {
            lightest.0 += u64::from(docs);
            lightest.1.push(id);
        }
    }
    sets.into_iter()
        .map(|(_, ids)| ids)
        .filter(|ids| !ids.is_empty())
        .collect()
}

fn open_reader(index: &Index, segments: &Arc<SegmentCache>) -> Result<IndexReader, TantivyError> {
    let warmer: Arc<dyn tantivy::Warmer> = segments.clone();
    index
        .reader_builder()
        // Applies reload explicitly; this only picks up finished background merges.
        .reload_policy(ReloadPolicy::OnCommitWithDelay)
        .warmers(vec![Arc::downgrade(&warmer)])
        .try_into()
}

/// Opens an existing index and checks it is one of ours, at the current schema version.
fn open_existing(dir: &Path, schema: &Schema) -> Result<(Index, i64), OpenFailure> {
    let unusable =
        |what: &str, e: &dyn std::fmt::Display| OpenFailure::Unusable(format!("{what}: {e}"));
    let index = Index::open_in_dir(dir).map_err(|e| unusable("cannot open index", &e))?;
    if index.schema() != *schema {
        return Err(OpenFailure::Unusable("schema differs".to_string()));
    }
    let metas = index
        .load_metas()
        .map_err(|e| unusable("cannot read index metadata", &e))?;
    let payload: Payload = match metas.payload.as_deref() {
        Some(p) => serde_json::from_str(p).map_err(|e| unusable("bad commit payload", &e))?,
        None => return Err(OpenFailure::Unusable("no commit payload".to_string())),
    };
    if payload.schema_version != SCHEMA_VERSION {
        return Err(OpenFailure::Unusable(format!(
            "schema version {} (expected {SCHEMA_VERSION})",
            payload.schema_version
        )));
    }
    Ok((index, payload.cursor))
}

fn commit(writer: &mut IndexWriter<TantivyDocument>, cursor: i64) -> Result<(), TantivyError> {
    let mut prepared = writer.prepare_commit()?;
    let payload = serde_json::to_string(&Payload {
        schema_version: SCHEMA_VERSION,
        cursor,
    })
    .map_err(|e| TantivyError::InternalError(e.to_string()))?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it (and `dir`) if missing. A corrupt or
    /// schema-incompatible index is wiped and replaced by an empty one, reported as
    /// [`OpenOutcome::Rebuilt`]. Fails if another process holds the index's writer lock.
    pub fn open(dir: &Path) -> Result<(SearchIndex, OpenOutcome), SearchError> {
        fs::create_dir_all(dir)?;
        let (schema, fields) = schema::build_schema();
        let existing = if dir.join("meta.json").exists() {
            Some(Self::open_parts(dir, &schema, &fields))
        } else {
            None
        };
        let outcome = match existing {
            Some(Ok(inner)) => {
                return Ok((
                    SearchIndex {
                        inner: Arc::new(inner),
                    },
                    OpenOutcome::Opened,
                ))
            }
            Some(Err(OpenFailure::Fatal(e))) => return Err(e),
            Some(Err(OpenFailure::Unusable(reason))) => {
                tracing::warn!(dir = %dir.display(), %reason, "search index unusable; recreating it empty");
                OpenOutcome::Rebuilt { reason }
            }
            None => OpenOutcome::Created,
        };
        // Leftovers without meta.json (e.g. a crash before the first commit) are garbage too.
        wipe(dir)?;
        let mut index = Index::create_in_dir(dir, schema.clone())?;
        register_tokenizer(&index);
        use_threads(&mut index)?;
        let mut writer = open_writer(&index)?;
        commit(&mut writer, 0)?;
        let segments = Arc::new(SegmentCache::default());
        let reader = open_reader(&index, &segments)?;
        let inner = Inner {
            dir: dir.to_path_buf(),
            index,
            fields,
            reader,
            writer: Mutex::new(writer),
            cursor: AtomicI64::new(0),
            generation: AtomicU64::new(1),
            suggester: RwLock::new(Suggester::default()),
            segments,
            all_facets: Mutex::new(None),
        };
        Ok((
            SearchIndex {
                inner: Arc::new(inner),
            },
            outcome,
        ))
    }

    fn open_parts(dir: &Path, schema: &Schema, fields: &Fields) -> Result<Inner, OpenFailure> {
        let (mut index, cursor) = open_existing(dir, schema)?;
        register_tokenizer(&index);
        use_threads(&mut index).map_err(|e| OpenFailure::Fatal(e.into()))?;
        let segments = Arc::new(SegmentCache::default());
        let reader = open_reader(&index, &segments)
            .map_err(|e| OpenFailure::Unusable(format!("cannot open segments: {e}")))?;
        let started = Instant::now();
        let suggester = build_suggester(&reader.searcher())
            .map_err(|e| OpenFailure::Unusable(format!("cannot read fast fields: {e}")))?;
        tracing::debug!(
            entities = suggester.len(),
            ms = started.elapsed().as_millis() as u64,
            "built search suggestions"
        );
        let writer = open_writer(&index).map_err(|e| {
            if is_lock_failure(&e) {
                OpenFailure::Fatal(e.into())
            } else {
                OpenFailure::Unusable(format!("cannot open writer: {e}"))
            }
        })?;
        Ok(Inner {
            dir: dir.to_path_buf(),
            index,
            fields: fields.clone(),
            reader,
            writer: Mutex::new(writer),
            cursor: AtomicI64::new(cursor),
            generation: AtomicU64::new(1),
            suggester: RwLock::new(suggester),
            segments,
            all_facets: Mutex::new(None),
        })
    }

    /// The change-feed cursor saved by the last commit (0 for a new index).
    pub fn cursor(&self) -> i64 {
        self.inner.cursor.load(Ordering::Acquire)
    }

    /// Changes on every [`SearchIndex::apply`]; use it to invalidate caches.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Number of (live) events in the index.
    pub fn num_docs(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Bytes used by the index directory.
    pub fn size_bytes(&self) -> u64 {
        dir_size(&self.inner.dir)
    }

    /// Number of segments currently searched (for reporting).
    pub fn num_segments(&self) -> usize {
        self.inner.reader.searcher().segment_readers().len()
    }

    /// Adds or replaces `upserts` (by `event_id`) and removes `deletes`, then commits together
    /// with `cursor`. When the same id appears more than once, the last upsert wins and a
    /// delete beats any upsert. The change is visible to searches when this returns.
    pub fn apply(
        &self,
        upserts: Vec<EventDoc>,
        deletes: Vec<i64>,
        cursor: i64,
    ) -> Result<(), SearchError> {
        let inner = &*self.inner;
        let mut writer = inner.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let deleted: HashSet<i64> = deletes.iter().copied().collect();
        let mut latest: HashMap<i64, usize> = HashMap::with_capacity(upserts.len());
        for (i, doc) in upserts.iter().enumerate() {
            latest.insert(doc.event_id, i);
        }
        let upserts: Vec<EventDoc> = upserts
            .into_iter()
            .enumerate()
            .filter(|(i, d)| latest.get(&d.event_id) == Some(i) && !deleted.contains(&d.event_id))
            .map(|(_, d)| d)
            .collect();
        let mut touched: Vec<i64> = upserts.iter().map(|d| d.event_id).collect();
        touched.extend(deleted.iter().copied());

        // What the touched events contributed to suggestions before this batch.
        let previous = lookup_entities(&inner.reader.searcher(), &inner.fields, &touched)?;

        let result = (|| -> Result<(), TantivyError> {
            for id in &touched {
                writer.delete_term(Term::from_field_i64(inner.fields.event_id, *id));
            }
            for doc in &upserts {
                writer.add_document(schema::to_document(&inner.fields, doc))?;
            }
            commit(&mut writer, cursor)
        })();
        if let Err(e) = result {
            // Drop whatever was half-written so the next apply starts from the last commit.
            if let Err(rollback) = writer.rollback() {
                tracing::error!(error = %rollback, "search index rollback failed");
            }
            return Err(e.into());
        }
        inner.cursor.store(cursor, Ordering::Release);
        inner.reader.reload()?;
        {
            let mut suggester = inner.suggester.write().map_err(|_| SearchError::Poisoned)?;
            for e in &previous {
                suggester.remove_event(e);
            }
            for d in &upserts {
                suggester.add_event(&EventEntities {
                    event_id: d.event_id,
                    title: text::nfc(&d.title).into_owned(),
                    performers: d
                        .performers
                        .iter()
                        .map(|(id, n)| (*id, text::nfc(n).into_owned()))
                        .collect(),
                    venue: (d.venue_id, text::nfc(&d.venue_name).into_owned()),
                    city: text::nfc(&d.city).into_owned(),
                });
            }
        }
        inner.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Starts loading many documents (a full rebuild): background merges stop, so the
    /// segments of the load's applies are written once and merged once, by
    /// [`SearchIndex::end_bulk_load`], instead of over and over as the index grows.
    pub fn begin_bulk_load(&self) -> Result<(), SearchError> {
        let writer = self
            .inner
            .writer
            .lock()
            .map_err(|_| SearchError::Poisoned)?;
        writer.set_merge_policy(Box::new(NoMergePolicy));
        Ok(())
    }

    /// Ends a bulk load: merges the segments into one per search thread, of about equal
    /// size (searches then use every core on equal shares), waits for that, and restores
    /// background merging. The index is settled when this returns; applies wait meanwhile.
    pub fn end_bulk_load(&self) -> Result<(), SearchError> {
        let inner = &*self.inner;
        let mut writer = inner.writer.lock().map_err(|_| SearchError::Poisoned)?;
        let segments = inner
            .index
            .searchable_segment_metas()?
            .iter()
            .map(|m| (m.id(), m.num_docs()))
            .collect();
        let groups = balanced_groups(segments, search_threads());
        let merges: Vec<_> = groups
            .iter()
            .filter(|ids| ids.len() > 1)
            .map(|ids| writer.merge(ids))
            .collect();
        // Wait for every merge, even after one failed, and serve what was merged anyway.
        let results: Vec<_> = merges.into_iter().map(|m| m.wait()).collect();
        writer.set_merge_policy(merge_policy());
        inner.reader.reload()?;
        results.into_iter().try_for_each(|r| r.map(drop))?;
        Ok(())
    }

    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults, SearchError> {
        query::validate(q)?;
        let limit = q.limit.min(MAX_LIMIT);
        let window = q.offset.saturating_add(limit);
        if window > MAX_WINDOW {
            return Err(SearchError::InvalidQuery(format!(
                "offset + limit may not exceed {MAX_WINDOW}"
            )));
        }
        let f = &self.inner.fields;
        let searcher = self.inner.reader.searcher();
        let text = q.q.as_deref().and_then(TextQuery::parse);
        // Words of every category name (a handful), to spot category words in the text.
        let mut category_words: HashSet<String> = HashSet::new();
        if text.is_some() {
            for r in searcher.segment_readers() {
                for name in self.inner.segments.get(r)?.category_names()?.iter() {
                    category_words.extend(name.split(' ').map(str::to_string));
                }
            }
        }
        // Just a category word ("concert") ranks nearly every match the same: show the next
        // ones first, as browsing would, which is also far cheaper than scoring them all.
        let only_category = text
            .as_ref()
            .is_some_and(|t| t.words.len() == 1 && category_words.contains(&t.words[0]));
        let sort = match (q.sort, &text) {
            (SortOrder::Relevance, Some(_)) if !only_category => SortKey::Score,
            (SortOrder::Relevance | SortOrder::Date, _) => SortKey::NextShow,
            (SortOrder::Distance, _) => SortKey::Distance,
        };
        let filters = query::filters(f, q, text.is_some(), &searcher);
        let unfiltered = text.is_none()
            && filters.is_empty()
            && q.from_ms.is_none()
            && q.to_ms.is_none()
            && q.min_price.is_none()
            && q.max_price.is_none()
            && q.near.is_none_or(|g| g.radius_km.is_none());
        let collector = EventCollector {
            sort,
            k: window,
            now_ms: q.now_ms,
            geo: q.near,
            dates: (q.from_ms.is_some() || q.to_ms.is_some())
                .then(|| (q.from_ms.unwrap_or(i64::MIN), q.to_ms.unwrap_or(i64::MAX))),
            price: (q.min_price.is_some() || q.max_price.is_some()).then(|| {
                (
                    q.min_price.unwrap_or(i64::MIN),
                    q.max_price.unwrap_or(i64::MAX),
                )
            }),
            // Facets of everything are counted once per searcher and reused.
            count_facets: !unfiltered,
            segments: self.inner.segments.clone(),
        };
        let info = |w: &str| query::WordInfo {
            is_category: category_words.contains(w),
            names_df: searcher
                .doc_freq(&Term::from_field_text(f.names, w))
                .unwrap_or(0),
        };
        let mut filters = Some(filters);
        let mut run = |require_all: bool| -> Result<Collected, SearchError> {
            let text_q = text
                .as_ref()
                .map(|t| query::text_query(f, t, require_all, &info, &self.inner.segments));
            let filters = filters
                .take()
                .unwrap_or_else(|| query::filters(f, q, text.is_some(), &searcher));
            let full: Box<dyn Query> = query::combine(text_q, filters);
            Ok(searcher.search(&*full, &collector)?)
        };
        if unfiltered && sort == SortKey::NextShow && window > 0 {
            if let Some(top) =
                collector::browse_by_date(&searcher, &self.inner.segments, window, q.now_ms)?
            {
                let page: Vec<Candidate> = top.into_iter().skip(q.offset).collect();
                return Ok(SearchResults {
                    total: searcher.num_docs(),
                    items: hits(&searcher, &self.inner.segments, f, &page, q.now_ms, false)?,
                    facets: self.all_facets(&searcher)?,
                });
            }
        }
        let mut collected = run(true)?;
        if collected.total == 0 && text.as_ref().is_some_and(|t| t.words.len() > 1) {
            // No event has every word: settle for events with some of them.
            collected = run(false)?;
        }
        let page: Vec<Candidate> = collected.top.into_iter().skip(q.offset).collect();
        let items = hits(
            &searcher,
            &self.inner.segments,
            f,
            &page,
            q.now_ms,
            collector.requires_scoring(),
        )?;
        let facets = if unfiltered {
            self.all_facets(&searcher)?
        } else {
            Facets {
                category: collected.category,
                city: collected.city,
            }
        };
        Ok(SearchResults {
            total: collected.total,
            items,
            facets,
        })
    }

    /// Facets over every event, counted once per searcher generation.
    fn all_facets(&self, searcher: &Searcher) -> Result<Facets, SearchError> {
        let generation = searcher.generation().generation_id();
        let cached = self
            .inner
            .all_facets
            .lock()
            .map_err(|_| SearchError::Poisoned)?;
        if let Some((g, facets)) = &*cached {
            if *g == generation {
                return Ok(facets.clone());
            }
        }
        drop(cached);
        let mut facets = Facets::default();
        for reader in searcher.segment_readers() {
            let data = self.inner.segments.get(reader)?;
            let counts = data.live_facet_counts(reader);
            add_counts(
                &mut facets.category,
                &data.category_names()?,
                &counts.category,
            );
            add_counts(&mut facets.city, &data.city_names()?, &counts.city);
        }
        let mut cached = self
            .inner
            .all_facets
            .lock()
            .map_err(|_| SearchError::Poisoned)?;
        *cached = Some((generation, facets.clone()));
        Ok(facets)
    }

    /// Autocomplete suggestions for `prefix`, best first.
    pub fn suggest(&self, prefix: &str, limit: usize) -> Result<Vec<Suggestion>, SearchError> {
        let suggester = self
            .inner
            .suggester
            .read()
            .map_err(|_| SearchError::Poisoned)?;
        Ok(suggester.suggest(prefix, limit.min(MAX_LIMIT)))
    }
}

/// Reads the display fields of the page: text from the document store, numbers from columns.
fn hits(
    searcher: &Searcher,
    segments: &SegmentCache,
    f: &Fields,
    page: &[Candidate],
    now: i64,
    scored: bool,
) -> Result<Vec<SearchHit>, SearchError> {
    let mut out = Vec::with_capacity(page.len());
    for c in page {
        let data = segments.get(searcher.segment_reader(c.segment))?;
        let doc = c.doc;
        let stored: TantivyDocument = searcher.doc(DocAddress::new(c.segment, doc))?;
        let text = |field| {
            stored
                .get_first(field)
                .and_then(|v| v.as_str().map(str::to_string))
        };
        let next_show_at = match c.next_show {
            Some(n) => Some(n),
            None => next_show(&data.shows, doc, now),
        };
        out.push(SearchHit {
            event_id: c.event_id,
            title: text(f.title).unwrap_or_default(),
            category: text(f.category_k).unwrap_or_default(),
            venue: text(f.venue).unwrap_or_default(),
            venue_id: data.venue_id.first(doc).unwrap_or(0),
            city: text(f.city).unwrap_or_default(),
            next_show_at,
            min_price: data.min_price.first(doc),
            currency: text(f.currency),
            score: if scored { c.score } else { 0.0 },
            distance_km: c.distance_km,
        });
    }
    Ok(out)
}

/// Reads what one document contributes to suggestions.
struct EntityColumns {
    event_id: tantivy::columnar::Column<i64>,
    title: tantivy::columnar::StrColumn,
    performer: tantivy::columnar::StrColumn,
    venue_id: tantivy::columnar::Column<i64>,
    venue: tantivy::columnar::StrColumn,
    city: tantivy::columnar::StrColumn,
}

impl EntityColumns {
    fn open(r: &SegmentReader) -> tantivy::Result<Self> {
        Ok(EntityColumns {
            event_id: i64_column(r, col::EVENT_ID)?,
            title: str_column(r, col::TITLE)?,
            performer: str_column(r, col::PERFORMER)?,
            venue_id: i64_column(r, col::VENUE_ID)?,
            venue: str_column(r, col::VENUE)?,
            city: str_column(r, col::CITY)?,
        })
    }

    fn first_str(column: &tantivy::columnar::StrColumn, doc: u32) -> tantivy::Result<String> {
        let mut s = String::new();
        if let Some(ord) = column.ords().first(doc) {
            column.ord_to_str(ord, &mut s)?;
        }
        Ok(s)
    }

    fn read(&self, doc: u32) -> tantivy::Result<EventEntities> {
        let mut performers = Vec::new();
        let mut s = String::new();
        for ord in self.performer.term_ords(doc) {
            s.clear();
            self.performer.ord_to_str(ord, &mut s)?;
            if let Some((id, name)) = parse_performer_entry(&s) {
                performers.push((id, name.to_string()));
            }
        }
        Ok(EventEntities {
            event_id: self.event_id.first(doc).unwrap_or(0),
            title: Self::first_str(&self.title, doc)?,
            performers,
            venue: (
                self.venue_id.first(doc).unwrap_or(0),
                Self::first_str(&self.venue, doc)?,
            ),
            city: Self::first_str(&self.city, doc)?,
        })
    }
}

/// The current suggestion contributions of the live documents with these event ids.
fn lookup_entities(
    searcher: &Searcher,
    fields: &Fields,
    ids: &[i64],
) -> Result<Vec<EventEntities>, SearchError> {
    let mut out = Vec::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for r in searcher.segment_readers() {
        let inverted = r.inverted_index(fields.event_id)?;
        let mut columns = None;
        for id in ids {
            let term = Term::from_field_i64(fields.event_id, *id);
            let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)?
            else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if r.alive_bitset().is_none_or(|a| a.is_alive(doc)) {
                    if columns.is_none() {
                        columns = Some(EntityColumns::open(r)?);
                    }
                    if let Some(c) = &columns {
                        out.push(c.read(doc)?);
                    }
                }
                doc = postings.advance();
            }
        }
    }
    Ok(out)
}

/// (ordinal, count) of the non-zero counts, by ordinal.
fn nonzero(counts: &[u64]) -> Vec<(u64, u64)> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(ord, n)| (ord as u64, *n))
        .collect()
}

/// The strings of ascending ordinals, decoding each dictionary block once.
fn resolve(
    column: &tantivy::columnar::StrColumn,
    ords: impl Iterator<Item = u64>,
) -> tantivy::Result<Vec<String>> {
    let mut out = Vec::new();
    column.dictionary().sorted_ords_to_term_cb(ords, |bytes| {
        out.push(String::from_utf8_lossy(bytes).into_owned());
        Ok(())
    })?;
    Ok(out)
}

/// Builds the suggestion structure from every live document, aggregating by column ordinal
/// first so each distinct string is decoded once per segment.
fn build_suggester(searcher: &Searcher) -> tantivy::Result<Suggester> {
    let mut s = Suggester::default();
    for r in searcher.segment_readers() {
        let c = EntityColumns::open(r)?;
        let alive = r.alive_bitset();
        let mut titles: Vec<(u64, i64)> = Vec::with_capacity(r.num_docs() as usize);
        let mut performers = vec![0u64; c.performer.num_terms()];
        let mut cities = vec![0u64; c.city.num_terms()];
        let mut venues: HashMap<(i64, u64), u64> = HashMap::new();
        for doc in 0..r.max_doc() {
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                continue;
            }
            if let Some(ord) = c.title.ords().first(doc) {
                titles.push((ord, c.event_id.first(doc).unwrap_or(0)));
            }
            for ord in c.performer.term_ords(doc) {
                if let Some(n) = performers.get_mut(ord as usize) {
                    *n += 1;
                }
            }
            if let Some(ord) = c.city.ords().first(doc) {
                if let Some(n) = cities.get_mut(ord as usize) {
                    *n += 1;
                }
            }
            if let (Some(id), Some(ord)) = (c.venue_id.first(doc), c.venue.ords().first(doc)) {
                *venues.entry((id, ord)).or_default() += 1;
            }
        }
        titles.sort_unstable();
        let groups: Vec<&[(u64, i64)]> = titles.chunk_by(|a, b| a.0 == b.0).collect();
        let names = resolve(&c.title, groups.iter().map(|g| g[0].0))?;
        let mut ids = Vec::new();
        for (group, name) in groups.iter().zip(&names) {
            ids.clear();
            ids.extend(group.iter().map(|(_, id)| *id));
            s.add_title(name, &ids);
        }
        let used: Vec<(u64, u64)> = nonzero(&performers);
        let names = resolve(&c.performer, used.iter().map(|(ord, _)| *ord))?;
        for ((_, n), entry) in used.iter().zip(&names) {
            if let Some((id, performer)) = parse_performer_entry(entry) {
                s.add_performer(id, performer, *n);
            }
        }
        let used = nonzero(&cities);
        let names = resolve(&c.city, used.iter().map(|(ord, _)| *ord))?;
        for ((_, n), name) in used.iter().zip(&names) {
            s.add_city(name, *n);
        }
        let mut venue_ords: Vec<u64> = venues.keys().map(|(_, ord)| *ord).collect();
        venue_ords.sort_unstable();
        venue_ords.dedup();
        let names = resolve(&c.venue, venue_ords.iter().copied())?;
        for ((id, ord), n) in venues {
            if let Ok(i) = venue_ords.binary_search(&ord) {
                s.add_venue(id, &names[i], n);
            }
        }
    }
    Ok(s)
}
