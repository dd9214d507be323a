use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<partner_logo::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| partner_logo::handle(req, ctx)).await
}
