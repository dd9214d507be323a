//! `GET /v1/commissions/{commission_id}`: one line with its history, read with the access
//! check (one round trip).
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use shared::app::{Context, Needs};
use shared::commissions::read;
use shared::http::{self, Problem};

pub const ROUTE: &str = "GET /v1/commissions/{commission_id}";
shared::function_deps!(Needs::verify());

pub async fn handle(req: Request, ctx: &Context) -> Result<Response<Body>, Problem> {
    let id = http::path_param(&req, "/v1/commissions/{commission_id}", "commission_id")?;
    let mut access = ctx
        .authorize(&req, ROUTE, |p| read::line_key(p, &id))
        .await?;
    let line = read::own_line(&access.principal, &mut access.fetched, &id)?;
    http::json_with_etag(StatusCode::OK, &read::view(&line), line.version)
}
