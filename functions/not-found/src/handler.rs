//! The API's `$default` route: every request no other route matches gets a
//! problem+json 404 instead of the gateway's bare `{"message":"Not Found"}`.

use lambda_http::{Body, Request, Response};
use shared::config::{Common, ConfigError, Reader, Source};
use shared::http::Problem;

#[derive(Debug)]
pub struct Deps;

impl Deps {
    pub fn from_source(source: &dyn Source) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let _ = Common::read(&mut r);
        r.finish()?;
        Ok(Self)
    }
}

impl shared::app::Deps for Deps {
    async fn build(
        source: &dyn Source,
        _sdk: &shared::app::SdkConfig,
    ) -> Result<Self, shared::app::SetupError> {
        Ok(Self::from_source(source)?)
    }
}

pub async fn handle(req: Request, _deps: &Deps) -> Result<Response<Body>, Problem> {
    Err(Problem::route_not_found(
        req.method().as_str(),
        shared::http::request_path(&req),
    ))
}
