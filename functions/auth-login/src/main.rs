use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity = shared::app::from_env(auth_login::KEYS, auth_login::CURSORS).await?;
    shared::http::run(move |req| auth_login::handle(req, identity)).await
}
