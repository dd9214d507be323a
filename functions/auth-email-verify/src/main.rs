use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity =
        shared::app::from_env(auth_email_verify::KEYS, auth_email_verify::CURSORS).await?;
    shared::http::run(move |req| auth_email_verify::handle(req, identity)).await
}
