use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity = shared::app::from_env(auth_logout::KEYS, auth_logout::CURSORS).await?;
    shared::http::run(move |req| auth_logout::handle(req, identity)).await
}
