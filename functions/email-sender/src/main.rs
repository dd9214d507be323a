use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init(env!("CARGO_CRATE_NAME"));
    let config = email_sender::Config::read(&shared::config::ProcessEnv)?;
    let deps: &'static email_sender::Deps = Box::leak(Box::new(email_sender::Deps::new(
        &config,
        &shared::aws::sdk_config().await,
    )));
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        email_sender::handle(event, deps)
    }))
    .await
}
