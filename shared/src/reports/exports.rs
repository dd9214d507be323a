//! Data exports, built in the background: `POST /v1/exports` stores the job and queues it
//! (202); the `export-worker` reads the partner's data page by page with the list APIs'
//! own queries (same filters, same order), writes the file with bounded memory and streams
//! it to S3 (`exports/<partner>/<export>.<ext>`, multipart beyond one part); `GET
//! /v1/exports/{id}` answers its state and, once ready, a presigned download (5 minutes).
//!
//! - Only the user who asked may read an export; another user's id is 404.
//! - At most [`MAX_ACTIVE`] exports per partner are queued or running at once (429); the
//!   slots are the ids in one set, taken with the export and given back when it ends, and
//!   a full set first frees the slots of exports that stopped ([`STALE_AFTER_HOURS`]).
//! - Exports expire after [`KEEP_DAYS`] days: the item's TTL and the bucket's lifecycle
//!   rule on `exports/`.
//! - A CSV export that runs out of time saves its place after an uploaded part (the
//!   cursor, the multipart upload and its parts) and queues its own continuation; XLSX
//!   and PDF are built within one invocation.
//! - A failed build is `failed` with its reason on its last attempt, and the message goes
//!   to the dead-letter queue (alarmed).

use std::path::PathBuf;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::{Principal, Role};
use crate::fault::{FieldError, Invalid};
use crate::identity::access::Access;
use crate::queue::Queue;
use crate::storage::Documents;
use crate::store::{Entity, Failure, Key, Patch, Store, keys};
use crate::validate::rfc3339;

use super::ReportsError;
use super::formats::{Cell, Csv, Xlsx};

/// Exports queued or running per partner at once.
pub const MAX_ACTIVE: i64 = 3;
/// How long an export and its file are kept.
pub const KEEP_DAYS: i64 = 7;
/// How long a download link works.
pub const LINK_MINUTES: i64 = 5;
/// Rows read per page.
const PAGE: i32 = 500;
/// A multipart part (S3's minimum is 5 MiB for every part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// Receives of one message before it dead-letters (the queue's `maxReceiveCount`).
pub const MAX_RECEIVES: u32 = 5;
/// The time a continuation needs left to be worth starting one more page.
const RESERVE: StdDuration = StdDuration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Leads,
    Commissions,
    Payouts,
    PerformanceReport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Pdf,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Pdf => "pdf",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Pdf => "application/pdf",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    Ready,
    Failed,
}

/// The filters of a leads export: those of `GET /v1/leads`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadFilters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

impl LeadFilters {
    fn query(&self) -> crate::leads::ListQuery {
        crate::leads::ListQuery {
            status: self.status.clone(),
            stage: self.stage.clone(),
            follow_up: self.follow_up.clone(),
            created_from: self.created_from.clone(),
            created_to: self.created_to.clone(),
            assigned_to: self.assigned_to.clone(),
            q: self.q.clone(),
        }
    }
}

/// The filters of a commissions export: those of `GET /v1/commissions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionFilters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl CommissionFilters {
    fn query(&self) -> crate::commissions::read::ListQuery {
        crate::commissions::read::ListQuery {
            status: self.status.clone(),
            kind: self.kind.clone(),
            lead_id: self.lead_id.clone(),
            partner_id: None,
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

/// `POST /v1/exports`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewExport {
    pub kind: ExportKind,
    pub format: ExportFormat,
    /// A UTF-8 byte-order mark first (CSV only), for spreadsheet apps that need one.
    #[serde(default)]
    pub bom: bool,
    /// An object (or null, or absent).
    #[serde(default)]
    pub filters: Option<serde_json::Map<String, Value>>,
}

/// Where a CSV export stopped: after an uploaded part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub cursor: String,
    pub rows: u64,
    pub upload_id: String,
    /// `(part number, ETag)` of the parts uploaded.
    pub parts: Vec<(i32, String)>,
}

/// An export job and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub id: String,
    pub partner_id: String,
    pub created_by: String,
    /// The creator's role when asking (the rows are what that role's list shows).
    pub role: Role,
    /// Stored as `export_kind` (every item's `kind` names its entity).
    #[serde(rename = "export_kind")]
    pub kind: ExportKind,
    pub format: ExportFormat,
    #[serde(default)]
    pub bom: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead_filters: Option<LeadFilters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_filters: Option<CommissionFilters>,
    pub status: ExportStatus,
    #[serde(default)]
    pub rows: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Epoch seconds (item TTL).
    pub expires_at: i64,
}

impl Entity for Export {
    const KIND: &'static str = "export";

    fn key(&self) -> Key {
        export_key(&self.partner_id, &self.id)
    }
}

fn export_key(partner_id: &str, export_id: &str) -> Key {
    Key::new(
        keys::partner_partition(partner_id),
        format!("EXPORT#{export_id}"),
    )
}

/// The partner's count of exports queued or running.
fn active_key(partner_id: &str) -> Key {
    Key::new(keys::partner_partition(partner_id), "EXPORTS")
}

/// The message the worker gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportJob {
    pub export_id: String,
    pub partner_id: String,
}

fn invalid(field: &str, message: &str) -> ReportsError {
    Invalid(vec![FieldError::new(field, message)]).into()
}

/// `POST /v1/exports`: checks the request (filters parse as the list API's do), takes one
/// of the partner's active slots with the new item in one transaction, and queues the
/// job. 429 when [`MAX_ACTIVE`] exports are already queued or running.
pub async fn create(
    store: &Store,
    queue: &Queue,
    principal: &Principal,
    request: NewExport,
    now: DateTime<Utc>,
) -> Result<Export, ReportsError> {
    let partner_id = principal.partner_id()?.to_string();
    if request.format == ExportFormat::Pdf && request.kind != ExportKind::PerformanceReport {
        return Err(invalid("format", "pdf is for the performance_report only"));
    }
    if request.kind == ExportKind::PerformanceReport && request.format != ExportFormat::Pdf {
        return Err(invalid("format", "the performance_report is a pdf"));
    }
    if request.bom && request.format != ExportFormat::Csv {
        return Err(invalid("bom", "is for csv only"));
    }
    let filters = request.filters.filter(|f| !f.is_empty()).map(Value::Object);
    let (mut lead_filters, mut commission_filters) = (None, None);
    match (request.kind, filters) {
        (_, None) => {}
        (ExportKind::Leads, Some(f)) => {
            let parsed: LeadFilters = serde_json::from_value(f)
                .map_err(|e| invalid("filters", &format!("not a leads filter: {e}")))?;
            parsed.query().filters()?;
            lead_filters = Some(parsed);
        }
        (ExportKind::Commissions, Some(f)) => {
            let parsed: CommissionFilters = serde_json::from_value(f)
                .map_err(|e| invalid("filters", &format!("not a commissions filter: {e}")))?;
            parsed.query().filters()?;
            commission_filters = Some(parsed);
        }
        (_, Some(_)) => return Err(invalid("filters", "this kind of export takes no filters")),
    }
    let at = rfc3339(now);
    let export = Export {
        id: ulid::Ulid::new().to_string(),
        partner_id: partner_id.clone(),
        created_by: principal.user_id.clone(),
        role: principal.role,
        kind: request.kind,
        format: request.format,
        bom: request.bom,
        lead_filters,
        commission_filters,
        status: ExportStatus::Queued,
        rows: 0,
        object_key: None,
        error: None,
        checkpoint: None,
        created_at: at.clone(),
        updated_at: at,
        finished_at: None,
        expires_at: (now + Duration::days(KEEP_DAYS)).timestamp(),
    };
    let take_slot = || {
        let slot = Patch::new(&active_key(&partner_id))
            .set(keys::KIND, "export_slots")
            .add_to_set("active", &export.id)
            .require_room_in_set("active", &export.id, MAX_ACTIVE)
            .on_failure(Failure::Throttled { retry_after: 30 });
        store.tx().insert(&export).patch(slot).build()
    };
    match store.commit(take_slot()).await {
        Ok(()) => {}
        Err(crate::store::StoreError::Condition(Failure::Throttled { .. })) => {
            // Full: free the slots of exports that ended or stopped, then try once more.
            if release_stale(store, &partner_id, now).await? == 0 {
                return Err(ReportsError::TooManyExports(MAX_ACTIVE as usize));
            }
            match store.commit(take_slot()).await {
                Ok(()) => {}
                Err(crate::store::StoreError::Condition(Failure::Throttled { .. })) => {
                    return Err(ReportsError::TooManyExports(MAX_ACTIVE as usize));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => return Err(e.into()),
    }
    let job = ExportJob {
        export_id: export.id.clone(),
        partner_id,
    };
    if let Err(e) = queue.send_json(&job, None).await {
        // Not queued: the export fails at once and gives its slot back.
        let _ = finish(
            store,
            &export,
            ExportStatus::Failed,
            Some("could not be queued"),
            0,
            None,
            now,
        )
        .await;
        return Err(e.into());
    }
    Ok(export)
}

/// The exports holding the partner's slots.
#[derive(Debug, Default, Deserialize)]
struct ExportSlots {
    #[serde(default)]
    active: Vec<String>,
}

/// An export queued or running this long has stopped (a worker killed by its time limit
/// or memory on its last receive): its messages are long gone (5 receives of at most 30
/// minutes' visibility each).
pub const STALE_AFTER_HOURS: i64 = 3;

/// Frees the slots of exports that ended, vanished (TTL) or stopped; a stopped one is
/// marked failed. How many slots were freed.
async fn release_stale(
    store: &Store,
    partner_id: &str,
    now: DateTime<Utc>,
) -> Result<usize, ReportsError> {
    let slots: ExportSlots = store
        .get(&active_key(partner_id))
        .await?
        .unwrap_or_default();
    let wanted: Vec<Key> = slots
        .active
        .iter()
        .map(|id| export_key(partner_id, id))
        .collect();
    let mut fetched = store.fetch(&wanted).await?;
    let stale_before = rfc3339(now - Duration::hours(STALE_AFTER_HOURS));
    let mut freed = 0;
    for (id, key) in slots.active.iter().zip(&wanted) {
        match fetched.take::<Export>(key)? {
            Some(e) if matches!(e.status, ExportStatus::Queued | ExportStatus::Running) => {
                if e.updated_at < stale_before {
                    finish(
                        store,
                        &e,
                        ExportStatus::Failed,
                        Some("the build stopped before it finished; ask again"),
                        e.rows,
                        None,
                        now,
                    )
                    .await?;
                    freed += 1;
                }
            }
            _ => {
                store
                    .apply(Patch::new(&active_key(partner_id)).remove_from_set("active", id))
                    .await?;
                freed += 1;
            }
        }
    }
    Ok(freed)
}

/// The caller's export with the access check's read; another user's is not found.
pub fn export_keys(principal: &Principal, export_id: &str) -> Vec<Key> {
    principal
        .partner_id
        .as_deref()
        .map(|p| vec![export_key(p, export_id)])
        .unwrap_or_default()
}

/// `GET /v1/exports/{id}`: the export as the API shows it (with a fresh download link
/// once ready).
pub async fn get(
    access: &mut Access,
    documents: &Documents,
    export_id: &str,
) -> Result<Value, ReportsError> {
    let key = export_keys(&access.principal, export_id)
        .into_iter()
        .next()
        .ok_or(crate::auth::NoPartner)?;
    let export: Export = access
        .fetched
        .take(&key)?
        .filter(|e: &Export| e.created_by == access.principal.user_id)
        .ok_or(ReportsError::ExportNotFound)?;
    let mut view = view(&export);
    if let (ExportStatus::Ready, Some(object)) = (export.status, &export.object_key) {
        let file_name = format!(
            "{}-{}.{}",
            serde_json::to_value(export.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            &export.created_at.get(..10).unwrap_or_default(),
            export.format.extension()
        );
        let link = documents
            .presign_download_as(
                object,
                &file_name,
                StdDuration::from_secs(LINK_MINUTES as u64 * 60),
            )
            .await?;
        view["url"] = link.url.into();
        view["expires_at"] = rfc3339(link.expires_at).into();
    }
    Ok(view)
}

/// An export as the API shows it.
pub fn view(e: &Export) -> Value {
    let mut v = serde_json::json!({
        "export_id": e.id,
        "kind": e.kind,
        "format": e.format,
        "status": e.status,
        "created_at": e.created_at,
    });
    if matches!(e.status, ExportStatus::Ready | ExportStatus::Running) || e.rows > 0 {
        v["rows"] = e.rows.into();
    }
    if let Some(err) = &e.error {
        v["error"] = err.clone().into();
    }
    v
}

/// Ends an export (ready or failed) and gives back its slot, in one transaction; an
/// export already ended is left as it is.
async fn finish(
    store: &Store,
    export: &Export,
    status: ExportStatus,
    error: Option<&str>,
    rows: u64,
    object_key: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ReportsError> {
    // Only a queued or running export ends (twice would give back two slots).
    let mut end = Patch::new(&export.key())
        .set("status", status)
        .set("rows", rows)
        .set("updated_at", rfc3339(now))
        .set("finished_at", rfc3339(now))
        .remove("checkpoint")
        .require_in("status", &["queued", "running"])
        .on_failure(Failure::Stale);
    if let Some(e) = error {
        end = end.set("error", e);
    }
    if let Some(k) = object_key {
        end = end.set("object_key", k);
    }
    let slot = Patch::new(&active_key(&export.partner_id)).remove_from_set("active", &export.id);
    match store
        .commit(store.tx().patch(end).patch(slot).build())
        .await
    {
        Ok(()) | Err(crate::store::StoreError::Condition(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// What an invocation of the worker did with a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Built {
    /// The file is ready (or the export had already ended).
    Done,
    /// Out of time: its place is saved and its continuation is queued.
    Continued,
}

/// The worker's dependencies.
pub struct Exporter<'a> {
    pub store: &'a Store,
    pub documents: &'a Documents,
    pub queue: &'a Queue,
    /// Where XLSX is written before upload (`/tmp` on Lambda).
    pub temp_dir: PathBuf,
    /// The size of an uploaded part ([`PART_BYTES`]; S3 takes no smaller part but the
    /// last).
    pub part_bytes: usize,
}

impl Exporter<'_> {
    /// Builds (or continues) the export of `job`. On an error, the export is marked
    /// `failed` with the reason when this is the message's last receive (or the error is
    /// permanent); the error is returned either way, so the message is retried and then
    /// dead-lettered.
    pub async fn build(
        &self,
        job: &ExportJob,
        receive_count: u32,
        deadline: Option<Instant>,
        now: DateTime<Utc>,
    ) -> Result<Built, ReportsError> {
        let Some(export) = self
            .store
            .get::<Export>(&export_key(&job.partner_id, &job.export_id))
            .await?
        else {
            return Ok(Built::Done);
        };
        match export.status {
            ExportStatus::Ready => return Ok(Built::Done),
            ExportStatus::Failed => {
                return Err(ReportsError::BuildFailed(
                    export.error.clone().unwrap_or_default(),
                ));
            }
            ExportStatus::Queued | ExportStatus::Running => {}
        }
        match self.run(&export, deadline, now).await {
            Ok(built) => Ok(built),
            Err(e) => {
                use crate::fault::Fault as _;
                if receive_count >= MAX_RECEIVES || !e.kind().retryable() {
                    let fields = e.fields();
                    let reason = match e.kind() {
                        crate::fault::Kind::Internal | crate::fault::Kind::Unavailable => {
                            "the file could not be built; ask again, or contact support".to_string()
                        }
                        _ if !fields.is_empty() => fields
                            .iter()
                            .map(|f| format!("{}: {}", f.field, f.message))
                            .collect::<Vec<_>>()
                            .join("; "),
                        _ => e.to_string(),
                    };
                    finish(
                        self.store,
                        &export,
                        ExportStatus::Failed,
                        Some(&reason),
                        export.rows,
                        None,
                        now,
                    )
                    .await?;
                }
                Err(e)
            }
        }
    }

    async fn run(
        &self,
        export: &Export,
        deadline: Option<Instant>,
        now: DateTime<Utc>,
    ) -> Result<Built, ReportsError> {
        self.store
            .apply(
                Patch::new(&export.key())
                    .set("status", ExportStatus::Running)
                    .set("updated_at", rfc3339(now)),
            )
            .await?;
        let object_key = format!(
            "exports/{}/{}.{}",
            export.partner_id,
            export.id,
            export.format.extension()
        );
        let principal = Principal {
            user_id: export.created_by.clone(),
            partner_id: Some(export.partner_id.clone()),
            role: export.role,
            session_id: format!("export-{}", export.id),
        };
        match export.format {
            ExportFormat::Pdf => {
                let bytes = self.report(&principal, now).await?;
                self.documents
                    .put_bytes(&object_key, export.format.content_type(), bytes)
                    .await?;
                finish(
                    self.store,
                    export,
                    ExportStatus::Ready,
                    None,
                    1,
                    Some(&object_key),
                    now,
                )
                .await?;
                Ok(Built::Done)
            }
            ExportFormat::Xlsx => {
                let rows = self.xlsx(export, &principal, &object_key).await?;
                finish(
                    self.store,
                    export,
                    ExportStatus::Ready,
                    None,
                    rows,
                    Some(&object_key),
                    now,
                )
                .await?;
                Ok(Built::Done)
            }
            ExportFormat::Csv => {
                self.csv(export, &principal, &object_key, deadline, now)
                    .await
            }
        }
    }

    /// One page of rows and the cursor after it.
    async fn page(
        &self,
        export: &Export,
        principal: &Principal,
        cursor: Option<&str>,
    ) -> Result<(Vec<Vec<Cell>>, Option<String>), ReportsError> {
        match export.kind {
            ExportKind::Leads => {
                let filters = export
                    .lead_filters
                    .clone()
                    .unwrap_or_default()
                    .query()
                    .filters()?;
                let page =
                    crate::leads::list(self.store, principal, &filters, PAGE, cursor, Utc::now())
                        .await?;
                Ok((page.items.iter().map(lead_row).collect(), page.next_cursor))
            }
            ExportKind::Commissions => {
                let filters = export
                    .commission_filters
                    .clone()
                    .unwrap_or_default()
                    .query()
                    .filters()?;
                let page =
                    crate::commissions::read::list(self.store, principal, &filters, PAGE, cursor)
                        .await?;
                Ok((
                    page.items.iter().map(commission_row).collect(),
                    page.next_cursor,
                ))
            }
            ExportKind::Payouts => {
                let page =
                    crate::commissions::read::payouts(self.store, principal, PAGE, cursor).await?;
                Ok((
                    page.items.iter().map(payout_row).collect(),
                    page.next_cursor,
                ))
            }
            ExportKind::PerformanceReport => Ok((Vec::new(), None)),
        }
    }

    /// CSV: rows into a buffer, a part uploaded whenever it passes [`PART_BYTES`]; out of
    /// time after a part, the place is saved and a continuation queued.
    async fn csv(
        &self,
        export: &Export,
        principal: &Principal,
        object_key: &str,
        deadline: Option<Instant>,
        now: DateTime<Utc>,
    ) -> Result<Built, ReportsError> {
        let content_type = export.format.content_type();
        let (mut cursor, mut rows, mut upload, mut parts) = match &export.checkpoint {
            Some(c) => (
                Some(c.cursor.clone()),
                c.rows,
                Some(c.upload_id.clone()),
                c.parts.clone(),
            ),
            None => (None, 0, None, Vec::new()),
        };
        let mut csv = Csv::new(export.bom && export.checkpoint.is_none());
        if export.checkpoint.is_none() {
            csv.header(columns(export.kind));
        }
        loop {
            let (page, next) = self.page(export, principal, cursor.as_deref()).await?;
            for row in &page {
                csv.row(row);
            }
            rows += page.len() as u64;
            cursor = next;
            if cursor.is_none() {
                break;
            }
            if csv.buf.len() >= self.part_bytes {
                let upload_id = match &upload {
                    Some(u) => u.clone(),
                    None => {
                        let u = self
                            .documents
                            .start_upload(object_key, content_type)
                            .await?;
                        upload = Some(u.clone());
                        u
                    }
                };
                let n = parts.len() as i32 + 1;
                let etag = self
                    .documents
                    .upload_part(object_key, &upload_id, n, csv.take())
                    .await?;
                parts.push((n, etag));
                let out_of_time =
                    deadline.is_some_and(|d| d.saturating_duration_since(Instant::now()) < RESERVE);
                if out_of_time {
                    let checkpoint = Checkpoint {
                        cursor: cursor.clone().unwrap_or_default(),
                        rows,
                        upload_id,
                        parts,
                    };
                    self.store
                        .apply(
                            Patch::new(&export.key())
                                .set("checkpoint", &checkpoint)
                                .set("rows", rows)
                                .set("updated_at", rfc3339(now)),
                        )
                        .await?;
                    self.queue
                        .send_json(
                            &ExportJob {
                                export_id: export.id.clone(),
                                partner_id: export.partner_id.clone(),
                            },
                            None,
                        )
                        .await?;
                    return Ok(Built::Continued);
                }
            }
        }
        match upload {
            None => {
                self.documents
                    .put_bytes(object_key, content_type, csv.take())
                    .await?
            }
            Some(upload_id) => {
                // The last part (any size but empty: the filters may leave the last pages
                // without rows).
                let rest = csv.take();
                if !rest.is_empty() {
                    let n = parts.len() as i32 + 1;
                    let etag = self
                        .documents
                        .upload_part(object_key, &upload_id, n, rest)
                        .await?;
                    parts.push((n, etag));
                }
                self.documents
                    .finish_upload(object_key, &upload_id, &parts)
                    .await?;
            }
        }
        finish(
            self.store,
            export,
            ExportStatus::Ready,
            None,
            rows,
            Some(object_key),
            now,
        )
        .await?;
        Ok(Built::Done)
    }

    /// XLSX: rows into the workbook's temporary files, then the file to S3 in parts.
    async fn xlsx(
        &self,
        export: &Export,
        principal: &Principal,
        object_key: &str,
    ) -> Result<u64, ReportsError> {
        let build = |e: rust_xlsxwriter::XlsxError| ReportsError::BuildFailed(e.to_string());
        let dir = self.temp_dir.join(format!("export-{}", export.id));
        std::fs::create_dir_all(&dir).map_err(|e| ReportsError::BuildFailed(e.to_string()))?;
        let sheet = match export.kind {
            ExportKind::Leads => "Leads",
            ExportKind::Commissions => "Commissions",
            ExportKind::Payouts => "Payouts",
            ExportKind::PerformanceReport => "Report",
        };
        let mut book = Xlsx::new(sheet, &dir).map_err(build)?;
        book.header(columns(export.kind)).map_err(build)?;
        let (mut cursor, mut rows) = (None::<String>, 0u64);
        loop {
            let (page, next) = self.page(export, principal, cursor.as_deref()).await?;
            for row in &page {
                book.row(row).map_err(build)?;
            }
            rows += page.len() as u64;
            cursor = next;
            if cursor.is_none() {
                break;
            }
        }
        let path = dir.join("export.xlsx");
        book.save(&path).map_err(build)?;
        let uploaded = self
            .documents
            .upload_file(
                object_key,
                export.format.content_type(),
                &path,
                self.part_bytes,
            )
            .await;
        let _ = std::fs::remove_dir_all(&dir);
        uploaded?;
        Ok(rows)
    }

    /// The performance report, from the dashboard's own reads.
    async fn report(
        &self,
        principal: &Principal,
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, ReportsError> {
        let partner_id = principal.partner_id()?;
        let partner: crate::partners::Partner = self
            .store
            .get(&keys::partner(partner_id))
            .await?
            .ok_or(ReportsError::ExportNotFound)?;
        let user: crate::identity::model::User = self
            .store
            .get(&keys::user(Some(partner_id), &principal.user_id))
            .await?
            .ok_or(ReportsError::ExportNotFound)?;
        let fetched = self
            .store
            .fetch(&crate::insight::dashboard_keys(principal, now))
            .await?;
        let mut access = Access {
            principal: principal.clone(),
            user,
            partner: Some(partner.clone()),
            fetched,
        };
        let dashboard = crate::insight::dashboard(&mut access, now)?;
        Ok(super::pdf::performance_report(
            &partner.business_name,
            &now.format("%Y-%m-%d %H:%M").to_string(),
            &dashboard,
        ))
    }
}

/// The columns of each kind of data export.
pub fn columns(kind: ExportKind) -> &'static [&'static str] {
    match kind {
        ExportKind::Leads => &[
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "company",
            "status",
            "stage",
            "source",
            "estimated_value",
            "estimated_value_currency",
            "next_follow_up_at",
            "last_contact_at",
            "created_at",
            "updated_at",
        ],
        ExportKind::Commissions => &[
            "id",
            "kind",
            "status",
            "description",
            "lead_id",
            "deal_ref",
            "amount",
            "currency",
            "earned_at",
            "approved_at",
            "paid_at",
            "payout_id",
        ],
        ExportKind::Payouts => &[
            "id",
            "status",
            "amount",
            "currency",
            "lines",
            "reference",
            "created_at",
            "paid_at",
        ],
        ExportKind::PerformanceReport => &[],
    }
}

/// An enum's API name.
fn word<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn amount(minor: i64, currency: &str) -> Cell {
    let exponent = crate::money::Currency::parse(currency)
        .map(|c| c.exponent())
        .unwrap_or(2);
    Cell::Amount { minor, exponent }
}

pub fn lead_row(l: &crate::leads::Lead) -> Vec<Cell> {
    vec![
        Cell::text(&l.id),
        Cell::text(&l.first_name),
        Cell::text(&l.last_name),
        Cell::opt_text(l.email.as_deref()),
        Cell::opt_text(l.phone.as_deref()),
        Cell::opt_text(l.company.as_deref()),
        Cell::text(l.status.as_str()),
        Cell::opt_text(l.stage.as_deref()),
        Cell::text(word(&l.source)),
        l.estimated_value
            .as_ref()
            .map_or(Cell::Empty, |m| amount(m.amount_minor, &m.currency)),
        Cell::opt_text(l.estimated_value.as_ref().map(|m| m.currency.as_str())),
        Cell::opt_time(l.next_follow_up_at.as_deref()),
        Cell::opt_time(l.last_contact_at.as_deref()),
        Cell::Time(l.created_at.clone()),
        Cell::Time(l.updated_at.clone()),
    ]
}

pub fn commission_row(c: &crate::commissions::CommissionLine) -> Vec<Cell> {
    vec![
        Cell::text(&c.id),
        Cell::text(word(&c.kind)),
        Cell::text(word(&c.status)),
        Cell::text(&c.description),
        Cell::opt_text(c.lead_id.as_deref()),
        Cell::opt_text(c.deal_ref.as_deref()),
        amount(c.amount.amount_minor, c.amount.currency.code()),
        Cell::text(c.amount.currency.code()),
        Cell::Time(c.earned_at.clone()),
        Cell::opt_time(c.approved_at.as_deref()),
        Cell::opt_time(c.paid_at.as_deref()),
        Cell::opt_text(c.payout_id.as_deref()),
    ]
}

pub fn payout_row(p: &crate::commissions::Payout) -> Vec<Cell> {
    vec![
        Cell::text(&p.id),
        Cell::text(p.status.as_str()),
        amount(p.amount.amount_minor, p.amount.currency.code()),
        Cell::text(p.amount.currency.code()),
        Cell::Int(p.line_ids.len() as i64),
        Cell::opt_text(p.reference.as_deref()),
        Cell::Time(p.created_at.clone()),
        Cell::opt_time(p.paid_at.as_deref()),
    ]
}
