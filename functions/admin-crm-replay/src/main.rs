use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let ctx = shared::app::context_from_env(admin_crm_replay::NEEDS).await?;
    let config = admin_crm_replay::Config::read(&shared::config::ProcessEnv)?;
    let sdk = shared::aws::sdk_config().await;
    let deps: &'static admin_crm_replay::Deps =
        Box::leak(Box::new(admin_crm_replay::Deps::new(ctx, config, &sdk)));
    shared::http::run(move |req| admin_crm_replay::handle(req, deps)).await
}
