//! [`TaskStore`]: tasks per owner, written before anyone is told of them, moved on only while
//! working.
//!
//! [`TaskStore`]: remote_mcp_core::TaskStore

use super::*;
use remote_mcp_core::TaskStore;
use remote_mcp_core::model::{Caller, TaskOutcome, TaskRecord, TaskState};
use serde_json::json;

const RUN: Duration = Duration::from_secs(900);
const KEEP: Duration = Duration::from_secs(3600);

fn task(owner: &str) -> TaskRecord {
    let caller = Caller {
        subject: owner.into(),
        client_id: "client-1".into(),
        scopes: vec!["mcp".into()],
        email: None,
        name: None,
        grant_id: Some("grant-1".into()),
    };
    TaskRecord::new(
        caller,
        "long_running_operation",
        json!({"steps": 3}),
        T0,
        RUN,
        KEEP,
    )
}

async fn a_created_task_is_read_back_at_once_by_its_owner_only(store: Arc<dyn TaskStore>) {
    let t = task("alice");
    store.create_task(&t).await.unwrap();
    assert_eq!(
        store.task("alice", &t.id, T0).await.unwrap(),
        Some(t.clone())
    );
    assert_eq!(store.task("bob", &t.id, T0).await.unwrap(), None);
    assert!(matches!(
        store.create_task(&t).await,
        Err(StoreError::AlreadyExists)
    ));
    assert_eq!(
        store.task("alice", &t.id, t.expires_at).await.unwrap(),
        None,
        "expired"
    );
}

async fn progress_then_completion_then_nothing_more(store: Arc<dyn TaskStore>) {
    let t = task("alice");
    store.create_task(&t).await.unwrap();
    let report = |m: &'static str| move |task: &mut TaskRecord| task.report(m, T0 + secs(1));
    let after = store
        .change_task("alice", &t.id, T0 + secs(1), &report("step 1 of 3"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.status_message.as_deref(), Some("step 1 of 3"));
    let result = json!({"content": [{"type": "text", "text": "done"}], "isError": false});
    let finish =
        |task: &mut TaskRecord| task.finish(TaskOutcome::Completed(result.clone()), T0 + secs(2));
    store
        .change_task("alice", &t.id, T0 + secs(2), &finish)
        .await
        .unwrap();
    let cancel = |task: &mut TaskRecord| task.cancel(T0 + secs(3));
    let read = store
        .change_task("alice", &t.id, T0 + secs(3), &cancel)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.state, TaskState::Completed, "a final task stays final");
    assert_eq!(read.outcome, Some(result));
    assert_eq!(
        store.change_task("bob", &t.id, T0, &cancel).await.unwrap(),
        None,
        "another owner changes nothing"
    );
}

async fn a_cancelled_task_drops_its_late_result(store: Arc<dyn TaskStore>) {
    let t = task("alice");
    store.create_task(&t).await.unwrap();
    let cancel = |task: &mut TaskRecord| task.cancel(T0 + secs(1));
    store
        .change_task("alice", &t.id, T0 + secs(1), &cancel)
        .await
        .unwrap();
    let finish =
        |task: &mut TaskRecord| task.finish(TaskOutcome::Completed(json!({})), T0 + secs(2));
    let read = store
        .change_task("alice", &t.id, T0 + secs(2), &finish)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.state, TaskState::Cancelled);
    assert_eq!(read.outcome, None);
}

async fn a_task_working_past_its_deadline_is_failed(store: Arc<dyn TaskStore>) {
    let t = task("alice");
    store.create_task(&t).await.unwrap();
    let late = T0 + RUN;
    let read = store.task("alice", &t.id, late).await.unwrap().unwrap();
    assert_eq!(read.state, TaskState::Failed);
    assert_eq!(read.outcome.unwrap()["code"], -32603);
    let finish = |task: &mut TaskRecord| task.finish(TaskOutcome::Completed(json!({})), late);
    let read = store
        .change_task("alice", &t.id, late, &finish)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        read.state,
        TaskState::Failed,
        "a lost worker's late answer is not taken"
    );
    assert_eq!(store.tasks_in_flight("alice", late).await.unwrap(), 0);
}

async fn tasks_in_flight_count_only_working_unexpired_ones(store: Arc<dyn TaskStore>) {
    let tasks: Vec<_> = (0..3).map(|_| task("alice")).collect();
    for t in &tasks {
        store.create_task(t).await.unwrap();
    }
    store.create_task(&task("bob")).await.unwrap();
    store.create_task(&task("alice-2")).await.unwrap();
    assert_eq!(store.tasks_in_flight("alice", T0).await.unwrap(), 3);
    let cancel = |task: &mut TaskRecord| task.cancel(T0);
    store
        .change_task("alice", &tasks[0].id, T0, &cancel)
        .await
        .unwrap();
    assert_eq!(store.tasks_in_flight("alice", T0).await.unwrap(), 2);
    assert_eq!(store.tasks_in_flight("carol", T0).await.unwrap(), 0);
}

/// A result far larger than one DynamoDB item (400 KB) comes back whole.
async fn a_large_result_comes_back_whole(store: Arc<dyn TaskStore>) {
    let t = task("alice");
    store.create_task(&t).await.unwrap();
    let text = "é€😀 ".repeat(100_000);
    let result = json!({"content": [{"type": "text", "text": text}], "isError": false});
    let finish =
        |task: &mut TaskRecord| task.finish(TaskOutcome::Completed(result.clone()), T0 + secs(1));
    store
        .change_task("alice", &t.id, T0 + secs(1), &finish)
        .await
        .unwrap();
    let read = store
        .task("alice", &t.id, T0 + secs(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.state, TaskState::Completed);
    assert_eq!(read.outcome, Some(result));
    assert_eq!(
        store.tasks_in_flight("alice", T0 + secs(2)).await.unwrap(),
        0
    );
}

/// Concurrent reports and one cancellation: the cancellation holds, whatever the order.
async fn concurrent_changes_serialise(store: Arc<dyn TaskStore>) {
    let t = task("alice");
    store.create_task(&t).await.unwrap();
    let mut handles = Vec::new();
    for n in 0..CONCURRENCY {
        let (store, id) = (store.clone(), t.id.clone());
        handles.push(tokio::spawn(async move {
            let message = format!("step {n}");
            let change = move |task: &mut TaskRecord| {
                if n == CONCURRENCY / 2 {
                    task.cancel(T0 + secs(1))
                } else {
                    task.report(&message, T0 + secs(1))
                }
            };
            store
                .change_task("alice", &id, T0 + secs(1), &change)
                .await
                .unwrap()
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    let read = store
        .task("alice", &t.id, T0 + secs(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.state, TaskState::Cancelled);
}

super::contract!(
    a_created_task_is_read_back_at_once_by_its_owner_only,
    progress_then_completion_then_nothing_more,
    a_cancelled_task_drops_its_late_result,
    a_task_working_past_its_deadline_is_failed,
    tasks_in_flight_count_only_working_unexpired_ones,
    a_large_result_comes_back_whole,
    concurrent_changes_serialise,
);
