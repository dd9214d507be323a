use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<reminders_daily::Deps>(env!("CARGO_CRATE_NAME")).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        reminders_daily::handle(event, deps)
    }))
    .await
}
