use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity =
        shared::app::from_env(auth_email_resend::KEYS, auth_email_resend::CURSORS).await?;
    shared::http::run(move |req| auth_email_resend::handle(req, identity)).await
}
