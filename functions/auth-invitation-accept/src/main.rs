use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let identity = shared::app::from_env(
        auth_invitation_accept::KEYS,
        auth_invitation_accept::CURSORS,
    )
    .await?;
    shared::http::run(move |req| auth_invitation_accept::handle(req, identity)).await
}
