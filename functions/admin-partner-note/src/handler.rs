//! `POST /v1/admin/partners/{partner_id}/notes`: an internal note on the partner's
//! timeline (never shown to the partner).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::workspace::activity;

pub const ROUTE: &str = "POST /v1/admin/partners/{partner_id}/notes";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let id = http::path_param(&req, "/v1/admin/partners/{partner_id}/notes", "partner_id")?;
    let body: activity::NewNote = http::json_body(&req, MAX_JSON_BODY)?;
    let note = activity::add_note(ctx.store(), &principal.user_id, &id, body, Utc::now()).await?;
    http::json(StatusCode::CREATED, &activity::view(&note))
}
