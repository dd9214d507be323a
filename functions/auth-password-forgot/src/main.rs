use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity =
        shared::app::from_env(auth_password_forgot::KEYS, auth_password_forgot::CURSORS).await?;
    shared::http::run(move |req| auth_password_forgot::handle(req, identity)).await
}
