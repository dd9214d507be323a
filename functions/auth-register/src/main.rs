use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity = shared::app::from_env(auth_register::KEYS, auth_register::CURSORS).await?;
    shared::http::run(move |req| auth_register::handle(req, identity)).await
}
