use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<insights::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| insights::handle(req, ctx)).await
}
