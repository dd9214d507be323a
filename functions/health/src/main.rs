use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let deps = shared::app::cold_start::<health::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| health::handle(req, deps)).await
}
