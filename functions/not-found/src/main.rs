use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let deps: &'static not_found::Deps = Box::leak(Box::new(not_found::Deps::from_env()?));
    shared::http::run(move |req| not_found::handle(req, deps)).await
}
