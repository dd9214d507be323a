use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let ctx = shared::app::cold_start::<admin_partners_bulk_status::Deps>(env!("CARGO_CRATE_NAME"))
        .await?;
    shared::http::run(move |req| admin_partners_bulk_status::handle(req, ctx)).await
}
