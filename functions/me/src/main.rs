use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity = shared::app::from_env(me::KEYS, me::CURSORS).await?;
    shared::http::run(move |req| me::handle(req, identity)).await
}
