use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx =
        shared::app::cold_start::<partner_field_options::Deps>(env!("CARGO_CRATE_NAME")).await?;
    shared::http::run(move |req| partner_field_options::handle(req, ctx)).await
}
