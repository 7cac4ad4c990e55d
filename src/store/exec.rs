//! The small query layer the booking SQL is written against.
//!
//! Booking writes are the hot path of an on-sale. On PostgreSQL they run through sqlx like
//! everything else. On SQLite they run on a dedicated writer thread that owns a plain
//! (`rusqlite`) connection and executes each statement synchronously: with sqlx every statement
//! is a message to the connection's own thread and back, and at a dozen statements per hold
//! those thread hops, not SQLite, were what capped the embedded store's write rate.
//!
//! So the booking operations (`sql_booking.rs`) are written once against [`Exec`], which all
//! three connections implement: sqlx's PostgreSQL and SQLite connections (SQLite reads use the
//! sqlx reader pool) and the writer thread's [`SqliteWriteConn`]. Statements use `$n`
//! placeholders on every backend. The writer's futures never wait on anything, so its thread
//! drives them with a trivial executor (see `sqlite_writer.rs`).

use super::{StoreError, StoreResult};
use async_trait::async_trait;

/// A bound parameter. NULLs keep their type, which PostgreSQL needs to plan the statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Int(Option<i64>),
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

/// A column value as read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

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
    pub fn try_get<'r, T: FromValue<'r>>(&'r self, i: usize) -> StoreResult<T> {
        let v = self.0.get(i).unwrap_or(&Value::Null);
        T::from_value(v).ok_or_else(|| {
            StoreError::Internal(format!(
                "column {i}: unexpected {v:?} for {}",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// A connection inside a transaction that statements can run on.
#[async_trait]
pub trait Exec: Send {
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
        self.fetch_one(c).await?.try_get(0)
    }

    /// The first column of the first row, if there is a row.
    pub async fn scalar_opt<T, E>(self, c: &mut E) -> StoreResult<Option<T>>
    where
        T: for<'r> FromValue<'r>,
        E: Exec + ?Sized,
    {
        self.fetch_optional(c)
            .await?
            .map(|r| r.try_get(0))
            .transpose()
    }

    /// The first column of every row.
    pub async fn scalars<T, E>(self, c: &mut E) -> StoreResult<Vec<T>>
    where
        T: for<'r> FromValue<'r>,
        E: Exec + ?Sized,
    {
        self.fetch_all(c)
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect()
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

    pub fn build(&self) -> Q {
        Q {
            sql: self.sql.clone(),
            args: self.args.clone(),
        }
    }
}

/// `Exec` for sqlx connections: PostgreSQL, and SQLite's reader pool.
macro_rules! sqlx_exec {
    ($conn:ty) => {
        #[async_trait]
        impl Exec for $conn {
            async fn fetch(&mut self, sql: &str, args: &[Arg]) -> StoreResult<Vec<Row>> {
                use sqlx::{Row as _, TypeInfo, ValueRef};
                let mut query = sqlx::query(sql);
                for a in args {
                    query = match a {
                        Arg::Int(v) => query.bind(*v),
                        Arg::Text(v) => query.bind(v.as_deref()),
                    };
                }
                let rows = query.fetch_all(&mut *self).await?;
                let mut out = Vec::with_capacity(rows.len());
                for row in &rows {
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
                            "FLOAT8" | "FLOAT4" | "REAL" | "DOUBLE PRECISION" => {
                                Value::Real(row.try_get(i)?)
                            }
                            _ => Value::Text(row.try_get(i)?),
                        });
                    }
                    out.push(Row(values));
                }
                Ok(out)
            }

            async fn execute(&mut self, sql: &str, args: &[Arg]) -> StoreResult<u64> {
                let mut query = sqlx::query(sql);
                for a in args {
                    query = match a {
                        Arg::Int(v) => query.bind(*v),
                        Arg::Text(v) => query.bind(v.as_deref()),
                    };
                }
                Ok(query.execute(&mut *self).await?.rows_affected())
            }
        }
    };
}

sqlx_exec!(sqlx::PgConnection);
sqlx_exec!(sqlx::SqliteConnection);

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
        for (i, a) in args.iter().enumerate() {
            // `$n` is a named parameter to SQLite; repeated names share one slot.
            let Some(slot) = stmt.parameter_index(&format!("${}", i + 1))? else {
                continue;
            };
            match a {
                Arg::Int(v) => stmt.raw_bind_parameter(slot, v)?,
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
    async fn fetch(&mut self, sql: &str, args: &[Arg]) -> StoreResult<Vec<Row>> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.prepare(sql, args)?;
        let width = stmt.column_count();
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
            out.push(Row(values));
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
    fn placeholders_bind_by_number_even_when_repeated_or_reordered() {
        let mut c = writer();
        futures::executor::block_on(async {
            q("CREATE TABLE t (a INTEGER, b TEXT, c TEXT)")
                .execute(&mut c)
                .await?;
            let n = q("INSERT INTO t (a, b, c) VALUES ($2, $1, $1)")
                .bind("x")
                .bind(7)
                .execute(&mut c)
                .await?;
            assert_eq!(n, 1);
            let mut qb = Qb::new("SELECT a, b, c FROM t WHERE a IN ");
            qb.push_ids(&[1, 7]).push(" AND c = ").push_bind("x");
            let row = qb.build().fetch_one(&mut c).await?;
            assert_eq!(row.try_get::<i64>(0)?, 7);
            assert_eq!(row.try_get::<&str>(1)?, "x");
            assert!(row.try_get::<i64>(1).is_err());
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
