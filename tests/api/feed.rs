//! The change-feed follower: in order, never past a change that may still commit.

use crate::dual;
use crate::helpers::{Db, TestApp};
use boxoffice::feed::Follower;
use serde_json::json;

dual!(follower_waits_for_late_commits_and_steps_over_rollbacks);

async fn insert_change(conn: &mut sqlx::PgConnection, entity: i64) {
    sqlx::query("INSERT INTO change_feed (at, topic, entity_id, show_id, payload) VALUES (0, 'test', $1, NULL, '{}')")
        .bind(entity)
        .execute(conn)
        .await
        .unwrap();
}

async fn follower_waits_for_late_commits_and_steps_over_rollbacks(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin().await;
    let start = app.store.last_change().await.unwrap();
    let mut follower = Follower::new(app.store.clone(), start);
    app.performer(&admin, "One").await;
    app.performer(&admin, "Two").await;
    let seen = follower.next(10).await.unwrap();
    assert_eq!(seen.len(), 2);
    follower.advance(seen[1].seq);
    assert!(follower.next(10).await.unwrap().is_empty());
    if db == Db::Sqlite {
        return; // one writer at a time: SQLite never shows a gap
    }
    use sqlx::Connection;
    let url = app.config.database_url.clone().unwrap();
    let mut slow = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut doomed = sqlx::PgConnection::connect(&url).await.unwrap();
    let mut slow_tx = slow.begin().await.unwrap();
    insert_change(&mut slow_tx, 1).await; // takes the next seq, commits late
    let mut doomed_tx = doomed.begin().await.unwrap();
    insert_change(&mut doomed_tx, 2).await; // takes the seq after, will roll back
    app.post("/api/v1/performers", Some(&admin), json!({"name": "Three"}))
        .await
        .ok(201);
    // The committed change sits behind two running transactions: the follower waits.
    assert!(follower.next(10).await.unwrap().is_empty());
    assert!(follower.next(10).await.unwrap().is_empty());
    slow_tx.commit().await.unwrap();
    let late = follower.next(10).await.unwrap();
    assert_eq!(
        late.iter().map(|c| c.topic.as_str()).collect::<Vec<_>>(),
        ["test"],
        "the late commit, in order"
    );
    follower.advance(late[0].seq);
    doomed_tx.rollback().await.unwrap();
    // The rolled-back seq never comes; once every transaction running when the gap was seen
    // is over (the horizon is cluster-wide, so other work may delay it) the follower steps
    // over it.
    let mut rest = Vec::new();
    for _ in 0..200 {
        rest = follower.next(10).await.unwrap();
        if !rest.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].topic, "performer");
}
