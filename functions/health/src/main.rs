use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let deps: &'static health::Deps = Box::leak(Box::new(health::Deps::from_env()?));
    shared::http::run(move |req| health::handle(req, deps)).await
}
