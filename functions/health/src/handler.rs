//! `GET /v1/health`: liveness and the deployed version. Touches no dependency, so it
//! answers fast even when a downstream service is degraded.

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::config::{Common, ConfigError, Reader, Source, Stage};
use shared::http::{self, Problem};

/// What the function needs, built once per cold start.
#[derive(Debug)]
pub struct Deps {
    stage: Stage,
}

impl Deps {
    pub fn from_source(source: &dyn Source) -> Result<Self, ConfigError> {
        let mut r = Reader::new(source);
        let common = Common::read(&mut r);
        r.finish()?;
        Ok(Self {
            stage: common.stage,
        })
    }
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    stage: Stage,
}

impl shared::app::Deps for Deps {
    async fn build(
        source: &dyn Source,
        _sdk: &shared::app::SdkConfig,
    ) -> Result<Self, shared::app::SetupError> {
        Ok(Self::from_source(source)?)
    }
}

pub async fn handle(req: Request, deps: &Deps) -> Result<Response<Body>, Problem> {
    if req.method() != Method::GET {
        return Err(Problem::method_not_allowed("GET"));
    }
    http::json(
        StatusCode::OK,
        &Health {
            status: "ok",
            version: shared::VERSION,
            stage: deps.stage,
        },
    )
}
