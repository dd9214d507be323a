//! `PATCH /v1/admin/staff/{user_id}` (`If-Match`): a colleague's role or active state;
//! never oneself, never the last active admin; their sessions end at once.
use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::service::{self, UserView};

pub const ROUTE: &str = "PATCH /v1/admin/staff/{user_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/admin/staff/{user_id}", "user_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |_| service::staff_key(&id))
        .await?;
    let version = http::if_match(&req)?.version();
    let body: service::UpdateUserRequest = http::json_body(&req, MAX_JSON_BODY)?;
    let current = access.fetched.take(&service::staff_key(&id)[0])?;
    let user = service::update_staff(
        &ctx.identity,
        &access.principal,
        &id,
        current,
        version,
        body,
        Utc::now(),
    )
    .await?;
    http::json_with_etag(StatusCode::OK, &UserView::from(&user), user.version)
}
