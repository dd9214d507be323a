//! `POST /v1/admin/staff`: invites a colleague as `admin` or read-only `support` (an
//! invitation email; they set their password through the invitation link).
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, UserView};

pub const ROUTE: &str = "POST /v1/admin/staff";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let principal = ctx.require(&req, ROUTE).await?;
    let body: service::StaffInvite = http::json_body(&req, MAX_JSON_BODY)?;
    let user = service::invite_staff(&ctx.identity, &principal, body, Utc::now()).await?;
    http::json_with_etag(StatusCode::CREATED, &UserView::from(&user), user.version)
}
