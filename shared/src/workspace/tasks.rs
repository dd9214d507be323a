//! Internal tasks per partner, assigned to staff: a task is found by id (its own item),
//! listed per partner (index `Lookup`, newest first), per assignee and state by due date
//! (index `ByState`) and across assignees by due date (index `Due`) — every listing one
//! Query page. Each change is one transaction with its timeline entry.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::WorkspaceError;
use crate::audit::AuditEntry;
use crate::auth::Principal;
use crate::fault::{FieldError, Invalid};
use crate::identity::model::{User, UserStatus};
use crate::store::{Entity, Failure, Filter, Index, Key, Page, Query, Store, keys};
use crate::validate::{optional, required, rfc3339};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    InProgress,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Todo => "todo",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
        }
    }

    /// `open` (to do or in progress) or `done`: the index partition.
    fn state(self) -> &'static str {
        match self {
            TaskStatus::Done => "done",
            _ => "open",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: String,
    pub partner_id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub status: TaskStatus,
    pub priority: Priority,
    /// `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// A staff user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    pub version: u64,
}

/// Tasks without a due date sort after every dated one.
const NO_DUE: &str = "9999-12-31";

impl Task {
    fn due_order(&self) -> String {
        format!("{}#{}", self.due_date.as_deref().unwrap_or(NO_DUE), self.id)
    }
}

impl Entity for Task {
    const KIND: &'static str = "task";

    fn key(&self) -> Key {
        keys::task(&self.id)
    }

    fn index_keys(&self) -> Vec<(Index, Key)> {
        let state = self.status.state();
        vec![
            (
                Index::Lookup,
                Key::new(
                    keys::partner_tasks(&self.partner_id),
                    format!("{}#{}", self.created_at, self.id),
                ),
            ),
            (
                Index::ByState,
                Key::new(
                    keys::tasks_of_assignee(self.assignee_id.as_deref(), state),
                    self.due_order(),
                ),
            ),
            (
                Index::Due,
                Key::new(keys::tasks_by_due(state), self.due_order()),
            ),
        ]
    }
}

/// `POST /v1/admin/partners/{partner_id}/tasks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub due_date: Option<String>,
    #[serde(default)]
    pub assignee_id: Option<String>,
}

/// `PATCH /v1/admin/tasks/{task_id}`: absent fields stay; `null` clears the optional ones.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskUpdate {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::validate::present")]
    pub description: Option<Option<String>>,
    #[serde(default)]
    pub status: Option<TaskStatus>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "crate::validate::present")]
    pub due_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::validate::present")]
    pub assignee_id: Option<Option<String>>,
}

fn due(e: &mut Vec<FieldError>, raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(d) => Some(d.to_string()),
        Err(_) => {
            e.push(FieldError::new("/due_date", "must be a date (YYYY-MM-DD)"));
            None
        }
    }
}

/// The assignee must be an active staff member.
async fn check_assignee(store: &Store, assignee: Option<&str>) -> Result<(), WorkspaceError> {
    let Some(id) = assignee else {
        return Ok(());
    };
    let mut e = Vec::new();
    crate::validate::id_param(&mut e, "/assignee_id", Some(id.to_string()));
    Invalid::check(e, || ())?;
    let user: Option<User> = store.get(&keys::user(None, id)).await?;
    match user {
        Some(u) if !u.role.is_partner_role() && u.status == UserStatus::Active => Ok(()),
        _ => Err(Invalid::field("/assignee_id", "is not an active staff member").into()),
    }
}

fn audit(task: &Task, actor: &str, action: &str, before: Value, at: &str) -> AuditEntry {
    AuditEntry::new(
        Some(&task.partner_id),
        actor,
        action,
        format!("task:{}", task.id),
        at,
    )
    .change(
        before,
        json!({"title": task.title, "status": task.status, "assignee_id": task.assignee_id, "due_date": task.due_date}),
    )
}

/// Creates a task for a partner that exists (checked in the transaction: 404).
pub async fn create(
    store: &Store,
    actor: &str,
    partner_id: &str,
    req: NewTask,
    now: DateTime<Utc>,
) -> Result<Task, WorkspaceError> {
    let mut e = Vec::new();
    let title = required(&mut e, "/title", &req.title, 200);
    let description = optional(&mut e, "/description", &req.description, 4000);
    let due_date = due(&mut e, req.due_date.as_deref());
    Invalid::check(e, || ())?;
    check_assignee(store, req.assignee_id.as_deref()).await?;
    let at = rfc3339(now);
    let status = req.status.unwrap_or(TaskStatus::Todo);
    let task = Task {
        id: ulid::Ulid::new().to_string(),
        partner_id: partner_id.to_string(),
        title,
        description,
        status,
        priority: req.priority.unwrap_or_default(),
        due_date,
        assignee_id: req.assignee_id,
        created_by: actor.to_string(),
        created_at: at.clone(),
        updated_at: at.clone(),
        completed_at: (status == TaskStatus::Done).then(|| at.clone()),
        version: 1,
    };
    let tx = store
        .tx()
        .require(
            &keys::partner(partner_id),
            Failure::Missing { what: "partner" },
        )
        .insert(&task)
        .insert(&audit(&task, actor, "task.created", Value::Null, &at))
        .build();
    store.commit(tx).await?;
    Ok(task)
}

/// The task a task route reads with the access check.
pub fn task_key(id: &str) -> Vec<Key> {
    vec![keys::task(id)]
}

/// Changes a task read with the access check (`If-Match`: its version).
pub async fn update(
    store: &Store,
    actor: &str,
    current: Option<Task>,
    expected_version: Option<u64>,
    req: TaskUpdate,
    now: DateTime<Utc>,
) -> Result<Task, WorkspaceError> {
    let current = current.ok_or(WorkspaceError::NotFound("task"))?;
    if expected_version.is_some_and(|v| v != current.version) {
        return Err(WorkspaceError::Stale);
    }
    let mut e = Vec::new();
    let mut next = current.clone();
    if let Some(t) = &req.title {
        next.title = required(&mut e, "/title", t, 200);
    }
    if let Some(d) = &req.description {
        next.description = optional(&mut e, "/description", d, 4000);
    }
    if let Some(d) = &req.due_date {
        next.due_date = due(&mut e, d.as_deref());
    }
    if let Some(s) = req.status {
        next.status = s;
    }
    if let Some(p) = req.priority {
        next.priority = p;
    }
    Invalid::check(e, || ())?;
    if let Some(a) = &req.assignee_id {
        check_assignee(store, a.as_deref()).await?;
        next.assignee_id = a.clone();
    }
    if next == current {
        return Ok(current);
    }
    let at = rfc3339(now);
    next.completed_at = match (current.status, next.status) {
        (_, TaskStatus::Done) => current.completed_at.clone().or(Some(at.clone())),
        _ => None,
    };
    next.updated_at = at.clone();
    next.version = current.version + 1;
    let before = json!({"title": current.title, "status": current.status, "assignee_id": current.assignee_id, "due_date": current.due_date});
    let tx = store
        .tx()
        .replace(&next, current.version)
        .insert(&audit(&next, actor, "task.updated", before, &at))
        .build();
    store.commit(tx).await?;
    Ok(next)
}

/// Deletes a task read with the access check (its version must not have moved).
pub async fn delete(
    store: &Store,
    actor: &str,
    current: Option<Task>,
    now: DateTime<Utc>,
) -> Result<(), WorkspaceError> {
    let current = current.ok_or(WorkspaceError::NotFound("task"))?;
    let at = rfc3339(now);
    let tx = store
        .tx()
        .delete_version(&current.key(), current.version)
        .insert(&audit(&current, actor, "task.deleted", Value::Null, &at))
        .build();
    store.commit(tx).await?;
    Ok(())
}

/// A partner's tasks, newest first (one Query page).
pub async fn for_partner(
    store: &Store,
    partner_id: &str,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Task>, WorkspaceError> {
    let q = Query::partition(Some(Index::Lookup), keys::partner_tasks(partner_id), limit)
        .newest_first();
    Ok(store.query(&q, cursor).await?)
}

/// The query of `GET /v1/admin/tasks` as sent.
#[derive(Debug, Default, Clone)]
pub struct TaskQuery {
    /// `me`, `none` (unassigned) or a staff user id; absent: everyone's.
    pub assignee: Option<String>,
    /// `todo`, `in_progress`, `done` or `open` (the default: to do or in progress).
    pub status: Option<String>,
    /// `overdue`, `today` or `week` (the next seven days, today included).
    pub due: Option<String>,
}

/// Tasks across partners by assignee, state and due date, soonest due first: one Query
/// page of one partition (the assignee's, or everyone's), the due window a sort-key range.
pub async fn list(
    store: &Store,
    principal: &Principal,
    q: TaskQuery,
    today: NaiveDate,
    limit: i32,
    cursor: Option<&str>,
) -> Result<Page<Task>, WorkspaceError> {
    let mut e = Vec::new();
    let assignee = crate::validate::id_param(&mut e, "assignee", q.assignee.clone());
    let status: Option<TaskStatus> = match q.status.as_deref() {
        None | Some("open") => None,
        Some(s) => serde_json::from_value(Value::String(s.to_string()))
            .map_err(|_| {
                e.push(FieldError::new(
                    "status",
                    "must be todo, in_progress, done or open",
                ))
            })
            .ok(),
    };
    let state = status.map_or("open", TaskStatus::state);
    let partition = match assignee.as_deref() {
        None => Some((Index::Due, keys::tasks_by_due(state))),
        Some("me") => Some((
            Index::ByState,
            keys::tasks_of_assignee(Some(&principal.user_id), state),
        )),
        Some("none") => Some((Index::ByState, keys::tasks_of_assignee(None, state))),
        Some(id) => Some((Index::ByState, keys::tasks_of_assignee(Some(id), state))),
    };
    let day = today.to_string();
    let window = match q.due.as_deref() {
        None => None,
        Some("overdue") => Some((None, day.clone())),
        Some("today") => Some((Some(day.clone()), format!("{day}#~"))),
        Some("week") => Some((
            Some(day.clone()),
            format!("{}#~", today + Duration::days(6)),
        )),
        Some(_) => {
            e.push(FieldError::new("due", "must be overdue, today or week"));
            None
        }
    };
    Invalid::check(e, || ())?;
    let (index, partition) = partition.expect("always a partition");
    let mut query = Query::partition(Some(index), partition, limit);
    query = match window {
        None => query,
        Some((None, below)) => query.below(below),
        Some((Some(low), high)) => query.between(low, high),
    };
    let mut filter = Filter::new();
    if let Some(s) = status.filter(|s| *s != TaskStatus::Done) {
        filter = filter.eq(&["status"], s.as_str());
    }
    Ok(store.query(&query.filter(filter), cursor).await?)
}

/// A task as operations see it.
pub fn view(t: &Task, today: NaiveDate) -> Value {
    let overdue = t.status != TaskStatus::Done
        && t.due_date
            .as_deref()
            .is_some_and(|d| d < today.to_string().as_str());
    json!({
        "id": t.id,
        "partner_id": t.partner_id,
        "title": t.title,
        "description": t.description,
        "status": t.status,
        "priority": t.priority,
        "due_date": t.due_date,
        "assignee_id": t.assignee_id,
        "overdue": overdue,
        "created_by": t.created_by,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "completed_at": t.completed_at,
        "version": t.version,
    })
}
