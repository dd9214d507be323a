use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity = shared::app::from_env(users_update::KEYS, users_update::CURSORS).await?;
    shared::http::run(move |req| users_update::handle(req, identity)).await
}
