//! `GET /v1/feedback`: the partner's customer feedback, newest first (cursor pages), with
//! the partner's NPS from its maintained counters (read with the access check).
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::app::{Context, Needs};
use shared::feedback;
use shared::http::{self, Problem};
use shared::insight::figures::{FEEDBACK_COUNTERS, Item, nps, number};
use shared::store::keys;

pub const ROUTE: &str = "GET /v1/feedback";
shared::function_deps!(Needs::verify().cursors());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let limit = http::page_limit(&req)?;
    let cursor = http::query_param(&req, "cursor")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |p| {
            p.partner_id
                .as_deref()
                .map(|id| vec![keys::partner_counters(id)])
                .unwrap_or_default()
        })
        .await?;
    let counters: Item = match access.principal.partner_id.as_deref() {
        Some(id) => access
            .fetched
            .take(&keys::partner_counters(id))
            .map_err(feedback::FeedbackError::from)?
            .unwrap_or_default(),
        None => Item::default(),
    };
    let page = feedback::list(ctx.store(), &access.principal, limit, cursor.as_deref()).await?;
    let [promoters, passives, detractors] =
        FEEDBACK_COUNTERS.map(|a| number(&counters, a).max(0) as u64);
    http::json(
        StatusCode::OK,
        &json!({
            "items": page.items.iter().map(feedback::view).collect::<Vec<_>>(),
            "next_cursor": page.next_cursor,
            "nps": nps([promoters, passives, detractors]),
            "promoters": promoters,
            "passives": passives,
            "detractors": detractors,
        }),
    )
}
