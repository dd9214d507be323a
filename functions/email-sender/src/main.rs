use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<email_sender::Deps>(env!("CARGO_CRATE_NAME")).await?;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| {
        email_sender::handle(event, deps)
    }))
    .await
}
