//! The one query layer every store operation is written against.
//!
//! Booking writes are the hot path of an on-sale. On PostgreSQL they run through sqlx like
//! everything else. On SQLite they run on a dedicated writer thread that owns a plain
//! (`rusqlite`) connection and executes each statement synchronously: with sqlx every statement
//! is a message to the connection's own thread and back, and at a dozen statements per hold
//! those thread hops, not SQLite, were what capped the embedded store's write rate.
//!
//! So the store operations (`ops/`) are written once against [`Exec`], which all three
//! connections implement: sqlx's PostgreSQL and SQLite connections (SQLite reads use the sqlx
//! reader pool) and the writer thread's [`SqliteWriteConn`]. Statements use `$n` placeholders
//! on every backend, and rows are read by column name. The few clauses whose SQL differs per
//! backend (row locks) are associated constants of the connection type, so shared code never
//! asks at run time which database it talks to. The writer's futures never wait on anything,
//! so its thread drives them with a trivial executor (see `group_commit.rs`).

use super::{StoreError, StoreResult};
use async_trait::async_trait;
use std::sync::Arc;

/// A bound parameter. NULLs keep their type, which PostgreSQL needs to plan the statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}

impl From<f64> for Arg {
    fn from(v: f64) -> Self {
        Arg::Real(Some(v))
    }
}

impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(Some(v))
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Self {
        Arg::Text(Some(v.clone()))
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Self {
        Arg::Text(Some(v))
    }
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}

impl From<Option<String>> for Arg {
    fn from(v: Option<String>) -> Self {
        Arg::Text(v)
    }
}

impl From<&Option<String>> for Arg {
    fn from(v: &Option<String>) -> Self {
        Arg::Text(v.clone())
    }
}

/// A column value as read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// One result row: values with the names of their columns (shared by every row of a result).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    columns: Arc<[String]>,
    values: Vec<Value>,
}

/// Conversion from a column value, failing on a type mismatch.
pub trait FromValue<'r>: Sized {
    fn from_value(v: &'r Value) -> Option<Self>;
}

impl FromValue<'_> for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl FromValue<'_> for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(r) => Some(*r),
            // SQLite stores a whole REAL as written; PostgreSQL never sends an integer here.
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
}

impl FromValue<'_> for bool {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(0) => Some(false),
            Value::Int(1) => Some(true),
            _ => None,
        }
    }
}

impl FromValue<'_> for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl<'r> FromValue<'r> for &'r str {
    fn from_value(v: &'r Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl<'r, T: FromValue<'r>> FromValue<'r> for Option<T> {
    fn from_value(v: &'r Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl Row {
    pub fn new(columns: Arc<[String]>, values: Vec<Value>) -> Self {
        Self { columns, values }
    }

    /// The value of column `name`, converted; an error names the column when it is missing or
    /// of another type.
    pub fn get<'r, T: FromValue<'r>>(&'r self, name: &str) -> StoreResult<T> {
        let at = self
            .columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| StoreError::Internal(format!("no column {name:?} in the result")))?;
        let v = &self.values[at];
        T::from_value(v).ok_or_else(|| {
            StoreError::Internal(format!(
                "column {name:?}: unexpected {v:?} for {}",
                std::any::type_name::<T>()
            ))
        })
    }

    /// The first column, for single-value queries.
    fn first<'r, T: FromValue<'r>>(&'r self) -> StoreResult<T> {
        let v = self.values.first().unwrap_or(&Value::Null);
        T::from_value(v).ok_or_else(|| {
            StoreError::Internal(format!(
                "unexpected {v:?} for {}",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// A connection inside a transaction that statements can run on.
#[async_trait]
pub trait Exec: Send {
    /// Appended to a `SELECT` that reads rows about to change, to lock them (PostgreSQL:
    /// ` FOR UPDATE`). Empty where one writer at a time needs no row locks (SQLite).
    const FOR_UPDATE: &'static str;
    /// Like [`Exec::FOR_UPDATE`], but shared: concurrent readers of the row take turns only
    /// with its writers.
    const FOR_SHARE: &'static str;
    /// A lock that passes over rows another transaction has locked (` FOR UPDATE SKIP LOCKED`).
    const SKIP_LOCKED: &'static str;

    async fn fetch(&mut self, sql: &str, args: &[Arg]) -> StoreResult<Vec<Row>>;
    /// Runs a statement that returns no rows; the number of rows it changed.
    async fn execute(&mut self, sql: &str, args: &[Arg]) -> StoreResult<u64>;
}

/// A statement with its parameters, `sqlx::query` style.
#[derive(Debug, Clone)]
pub struct Q {
    sql: String,
    args: Vec<Arg>,
}

pub fn q(sql: impl Into<String>) -> Q {
    Q {
        sql: sql.into(),
        args: Vec::new(),
    }
}

impl Q {
    pub fn bind(mut self, v: impl Into<Arg>) -> Self {
        self.args.push(v.into());
        self
    }

    pub async fn fetch_all<E: Exec + ?Sized>(self, c: &mut E) -> StoreResult<Vec<Row>> {
        c.fetch(&self.sql, &self.args).await
    }

    pub async fn fetch_optional<E: Exec + ?Sized>(self, c: &mut E) -> StoreResult<Option<Row>> {
        Ok(self.fetch_all(c).await?.into_iter().next())
    }

    pub async fn fetch_one<E: Exec + ?Sized>(self, c: &mut E) -> StoreResult<Row> {
        self.fetch_optional(c)
            .await?
            .ok_or_else(|| StoreError::Internal("a statement returned no row".into()))
    }

    pub async fn execute<E: Exec + ?Sized>(self, c: &mut E) -> StoreResult<u64> {
        c.execute(&self.sql, &self.args).await
    }

    /// The first column of the first row.
    pub async fn scalar<T, E>(self, c: &mut E) -> StoreResult<T>
    where
        T: for<'r> FromValue<'r>,
        E: Exec + ?Sized,
    {
        self.fetch_one(c).await?.first()
    }

    /// The first column of the first row, if there is a row.
    pub async fn scalar_opt<T, E>(self, c: &mut E) -> StoreResult<Option<T>>
    where
        T: for<'r> FromValue<'r>,
        E: Exec + ?Sized,
    {
        self.fetch_optional(c).await?.map(|r| r.first()).transpose()
    }

    /// The first column of every row.
    pub async fn scalars<T, E>(self, c: &mut E) -> StoreResult<Vec<T>>
    where
        T: for<'r> FromValue<'r>,
        E: Exec + ?Sized,
    {
        self.fetch_all(c).await?.iter().map(Row::first).collect()
    }
}

/// Builds a statement piece by piece, numbering placeholders as values are bound.
#[derive(Debug, Clone, Default)]
pub struct Qb {
    sql: String,
    args: Vec<Arg>,
}

impl Qb {
    pub fn new(sql: &str) -> Self {
        Qb {
            sql: sql.to_owned(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    pub fn push_bind(&mut self, v: impl Into<Arg>) -> &mut Self {
        self.args.push(v.into());
        self.sql.push('$');
        self.sql.push_str(&self.args.len().to_string());
        self
    }

    /// `($a, $b, …)`.
    pub fn push_ids(&mut self, ids: &[i64]) -> &mut Self {
        self.push("(");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(*id);
        }
        self.push(")")
    }

    /// `($a, $b), ($c, $d), …`: one parenthesised tuple per row, for a `VALUES` list or
    /// (wrapped in parentheses) a row-value `IN` list.
    pub fn push_rows<R, A>(&mut self, rows: impl IntoIterator<Item = R>) -> &mut Self
    where
        R: IntoIterator<Item = A>,
        A: Into<Arg>,
    {
        for (i, row) in rows.into_iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            for (j, value) in row.into_iter().enumerate() {
                if j > 0 {
                    self.push(", ");
                }
                self.push_bind(value);
            }
            self.push(")");
        }
        self
    }

    pub fn build(&self) -> Q {
        Q {
            sql: self.sql.clone(),
            args: self.args.clone(),
        }
    }
}

/// Binds `args` to a sqlx query, keeping each NULL's type.
fn bind_sqlx<'q, DB>(
    mut query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<bool>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    for a in args {
        query = match a {
            Arg::Int(v) => query.bind(*v),
            Arg::Real(v) => query.bind(*v),
            Arg::Bool(v) => query.bind(*v),
            Arg::Text(v) => query.bind(v.as_deref()),
        };
    }
    query
}

/// Reads sqlx rows into [`Row`]s, by the type each value arrived with.
fn from_sqlx<R>(rows: &[R]) -> StoreResult<Vec<Row>>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i16: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    use sqlx::{Column as _, TypeInfo, ValueRef};
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let columns: Arc<[String]> = first
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut values = Vec::with_capacity(row.len());
        for i in 0..row.len() {
            let raw = row.try_get_raw(i)?;
            if raw.is_null() {
                values.push(Value::Null);
                continue;
            }
            let kind = raw.type_info().name().to_ascii_uppercase();
            values.push(match kind.as_str() {
                "INT8" | "BIGINT" | "INTEGER" | "INT" => Value::Int(row.try_get(i)?),
                "INT4" => Value::Int(i64::from(row.try_get::<i32, _>(i)?)),
                "INT2" | "SMALLINT" => Value::Int(i64::from(row.try_get::<i16, _>(i)?)),
                "BOOL" | "BOOLEAN" => Value::Int(i64::from(row.try_get::<bool, _>(i)?)),
                "FLOAT8" | "FLOAT4" | "REAL" | "DOUBLE PRECISION" => Value::Real(row.try_get(i)?),
                _ => Value::Text(row.try_get(i)?),
            });
        }
        out.push(Row::new(columns.clone(), values));
    }
    Ok(out)
}

/// PostgreSQL: every connection, for reads and writes.
#[async_trait]
impl Exec for sqlx::PgConnection {
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const FOR_SHARE: &'static str = " FOR SHARE";
    const SKIP_LOCKED: &'static str = " FOR UPDATE SKIP LOCKED";

    async fn fetch(&mut self, sql: &str, args: &[Arg]) -> StoreResult<Vec<Row>> {
        let rows = bind_sqlx(sqlx::query(sql), args).fetch_all(self).await?;
        from_sqlx(&rows)
    }

    async fn execute(&mut self, sql: &str, args: &[Arg]) -> StoreResult<u64> {
        let done = bind_sqlx(sqlx::query(sql), args).execute(self).await?;
        Ok(done.rows_affected())
    }
}

/// SQLite through sqlx: the reader pool, and migrations and bulk loads. One writer at a time
/// needs no row locks.
#[async_trait]
impl Exec for sqlx::SqliteConnection {
    const FOR_UPDATE: &'static str = "";
    const FOR_SHARE: &'static str = "";
    const SKIP_LOCKED: &'static str = "";

    async fn fetch(&mut self, sql: &str, args: &[Arg]) -> StoreResult<Vec<Row>> {
        let rows = bind_sqlx(sqlx::query(sql), args).fetch_all(self).await?;
        from_sqlx(&rows)
    }

    async fn execute(&mut self, sql: &str, args: &[Arg]) -> StoreResult<u64> {
        let done = bind_sqlx(sqlx::query(sql), args).execute(self).await?;
        Ok(done.rows_affected())
    }
}

/// The SQLite writer thread's connection: statements run synchronously, prepared once and
/// cached.
pub struct SqliteWriteConn(pub rusqlite::Connection);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Internal(format!("sqlite: {e}"))
    }
}

impl SqliteWriteConn {
    fn prepare(&self, sql: &str, args: &[Arg]) -> StoreResult<rusqlite::CachedStatement<'_>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        // `$n` is a named parameter to SQLite: slots are numbered in order of first appearance
        // and repeated names share one. Each slot's name says which argument it takes (looking
        // slots up by name instead would scan every name for every argument).
        for slot in 1..=stmt.parameter_count() {
            let n = stmt
                .parameter_name(slot)
                .and_then(|name| name.strip_prefix('$'))
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=args.len()).contains(n))
                .ok_or_else(|| {
                    StoreError::Internal(format!("parameter {slot} of {sql:?} has no argument"))
                })?;
            match &args[n - 1] {
                Arg::Int(v) => stmt.raw_bind_parameter(slot, v)?,
                Arg::Real(v) => stmt.raw_bind_parameter(slot, v)?,
                Arg::Bool(v) => stmt.raw_bind_parameter(slot, v)?,
                Arg::Text(v) => stmt.raw_bind_parameter(slot, v)?,
            }
        }
        Ok(stmt)
    }

    /// Runs SQL without parameters (transaction control).
    pub fn batch(&self, sql: &str) -> StoreResult<()> {
        Ok(self.0.execute_batch(sql)?)
    }
}

#[async_trait]
impl Exec for SqliteWriteConn {
    const FOR_UPDATE: &'static str = "";
    const FOR_SHARE: &'static str = "";
    const SKIP_LOCKED: &'static str = "";

    async fn fetch(&mut self, sql: &str, args: &[Arg]) -> StoreResult<Vec<Row>> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.prepare(sql, args)?;
        let columns: Arc<[String]> = stmt.column_names().into_iter().map(str::to_owned).collect();
        let width = columns.len();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(match r.get_ref(i)? {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(v) => Value::Int(v),
                    ValueRef::Real(v) => Value::Real(v),
                    ValueRef::Text(t) | ValueRef::Blob(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            out.push(Row::new(columns.clone(), values));
        }
        Ok(out)
    }

    async fn execute(&mut self, sql: &str, args: &[Arg]) -> StoreResult<u64> {
        let mut stmt = self.prepare(sql, args)?;
        Ok(stmt.raw_execute()? as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer() -> SqliteWriteConn {
        SqliteWriteConn(rusqlite::Connection::open_in_memory().expect("in-memory sqlite"))
    }

    #[test]
    fn placeholders_bind_by_number_and_rows_read_by_name() {
        let mut c = writer();
        futures::executor::block_on(async {
            q("CREATE TABLE t (a INTEGER, b TEXT, c TEXT, d REAL)")
                .execute(&mut c)
                .await?;
            let n = q("INSERT INTO t (a, b, c, d) VALUES ($2, $1, $1, $3)")
                .bind("x")
                .bind(7)
                .bind(1.5)
                .execute(&mut c)
                .await?;
            assert_eq!(n, 1);
            let mut qb = Qb::new("SELECT a, b, c, d FROM t WHERE a IN ");
            qb.push_ids(&[1, 7]).push(" AND c = ").push_bind("x");
            let row = qb.build().fetch_one(&mut c).await?;
            assert_eq!(row.get::<i64>("a")?, 7);
            assert_eq!(row.get::<&str>("b")?, "x");
            assert_eq!(row.get::<f64>("d")?, 1.5);
            assert!(row.get::<i64>("b").is_err(), "a type mismatch is an error");
            assert!(row.get::<i64>("e").is_err(), "a missing column is an error");
            let mut rows = Qb::new("SELECT a FROM t WHERE (a, b) IN (");
            rows.push_rows([
                [Arg::from(7), Arg::from("x")],
                [Arg::from(8), Arg::from("y")],
            ])
            .push(")");
            let found: Vec<i64> = rows.build().scalars(&mut c).await?;
            assert_eq!(found, vec![7]);
            let missing: Option<i64> = q("SELECT a FROM t WHERE a = $1")
                .bind(8)
                .scalar_opt(&mut c)
                .await?;
            assert_eq!(missing, None);
            let null: Option<String> = q("SELECT $1").bind(None::<&str>).scalar(&mut c).await?;
            assert_eq!(null, None);
            Ok::<(), StoreError>(())
        })
        .expect("queries run");
    }
}
