//! `POST /v1/admin/feedback/surveys`: operations email a lead's contact a survey link on
//! demand (`{lead_id}`); 202 with the lead's id and when it was sent. Audited.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};

pub const ROUTE: &str = "POST /v1/admin/feedback/surveys";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let lead = shared::leads::send_survey(
        ctx.store(),
        &principal.user_id,
        body,
        &ctx.leads.portal_url,
        Utc::now(),
    )
    .await?;
    http::json(
        StatusCode::ACCEPTED,
        &json!({"lead_id": lead.id, "survey_sent_at": lead.survey_sent_at}),
    )
}
