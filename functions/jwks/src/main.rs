use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity = shared::app::from_env(jwks::KEYS, jwks::CURSORS).await?;
    shared::http::run(move |req| jwks::handle(req, identity)).await
}
