use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<public_unsubscribe::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| public_unsubscribe::handle(req, ctx)).await
}
