//! `PATCH /v1/users/{user_id}`: the owner changes a user's role or active state.

use chrono::Utc;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::Keys;
use shared::http::{self, MAX_JSON_BODY, Problem};
use shared::identity::model::User;
use shared::identity::service::{self, Identity, UserView};
use shared::store::keys;

pub const ROUTE: &str = "PATCH /v1/users/{user_id}";
pub const KEYS: Keys = Keys::Verify;
pub const CURSORS: bool = false;
shared::function_deps!(shared::app::Needs::of(KEYS, CURSORS));

pub async fn handle(req: Request, id: &Identity) -> Result<Response<Body>, Problem> {
    let user_id = http::path_param(&req, "/v1/users/{user_id}", "user_id")?;
    // The user is read with the access check (one round trip), for `If-Match: *`.
    let target = |p: &shared::auth::Principal| vec![keys::user(p.partner_id.as_deref(), &user_id)];
    let mut access = id.authorize(&req, ROUTE, target).await?;
    let precondition = http::if_match(&req)?;
    let body = http::json_body(&req, MAX_JSON_BODY)?;
    let version = match precondition {
        http::IfMatch::Version(v) => v,
        // No such user: the update answers 404 whatever the version.
        http::IfMatch::Any => access
            .fetched
            .take::<User>(&target(&access.principal)[0])
            .map_err(shared::identity::IdentityError::from)?
            .map_or(0, |u| u.version),
    };
    let user =
        service::update_user(id, &access.principal, &user_id, version, body, Utc::now()).await?;
    http::json_with_etag(StatusCode::OK, &UserView::from(&user), user.version)
}
