use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity =
        shared::app::from_env(auth_password_reset::KEYS, auth_password_reset::CURSORS).await?;
    shared::http::run(move |req| auth_password_reset::handle(req, identity)).await
}
