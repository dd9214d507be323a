//! Sales material: a resource is metadata plus a verified file or an external https link,
//! visible to partners of its `min_tier` and above once published.

use serde::{Deserialize, Serialize};

use crate::partners::Tier;
use crate::store::{Entity, Index, Key, keys};

/// What a resource is (API.md "Resources").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceType {
    Brochure,
    Presentation,
    PriceList,
    ProductSheet,
    CaseStudy,
    TrainingVideo,
    Template,
    Other,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Brochure => "brochure",
            ResourceType::Presentation => "presentation",
            ResourceType::PriceList => "price_list",
            ResourceType::ProductSheet => "product_sheet",
            ResourceType::CaseStudy => "case_study",
            ResourceType::TrainingVideo => "training_video",
            ResourceType::Template => "template",
            ResourceType::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    Draft,
    Published,
    Archived,
}

impl ResourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Draft => "draft",
            ResourceStatus::Published => "published",
            ResourceStatus::Archived => "archived",
        }
    }
}

/// A verified file of a resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// The object key (`resources/<id>/<version>`).
    pub key: String,
    pub content_type: String,
    pub size: u64,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// A file being uploaded (until the verifier has seen it) or why it was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFile {
    pub key: String,
    pub content_type: String,
    pub size: u64,
    pub version: u32,
    /// `uploading` or `rejected`.
    pub status: crate::uploads::VerificationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Publish the resource once this file is verified (a CMS entry published with a new
    /// file).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub publish: bool,
}

/// Where an imported resource comes from: a CMS document, at the version last imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSource {
    /// `strapi`.
    pub system: String,
    pub collection: String,
    pub document_id: String,
    /// The document's `updatedAt` when it was imported.
    pub updated_at: String,
    /// The media file imported with it (its URL and hash), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Stored as `resource_type` (every item's `kind` names its entity).
    #[serde(rename = "resource_type")]
    pub r#type: ResourceType,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    pub min_tier: Tier,
    /// `0` (registered) to `3` (platinum), as text: the list's filter compares it.
    pub min_tier_rank: String,
    /// A training resource partners can mark complete.
    #[serde(default)]
    pub training: bool,
    pub status: ResourceStatus,
    /// The verified file partners download (the previous version until a replacement is
    /// verified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<StoredFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload: Option<PendingFile>,
    /// An external https link instead of a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Downloads counted once per partner per day.
    #[serde(default)]
    pub download_count: i64,
    /// Partners that ever downloaded it.
    #[serde(default)]
    pub unique_partners: i64,
    /// Lower-case title, description, category and tags, for `q`.
    #[serde(default)]
    pub search_text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    /// Set on resources imported from a CMS: they are edited there, not here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ResourceSource>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
}

impl Entity for Resource {
    const KIND: &'static str = "resource";

    fn key(&self) -> Key {
        keys::resource(&self.id)
    }

    /// Every resource, newest first (`Lookup`, operations' list); published ones, newest
    /// first (`ByState`, the partners' list: one partition, tier and filters on the page);
    /// imported ones by their CMS document (`Due`, the import's archive pass).
    fn index_keys(&self) -> Vec<(Index, Key)> {
        let order = format!("{}#{}", self.created_at, self.id);
        let mut keys = vec![
            (Index::Lookup, Key::new(keys::RESOURCES_ALL, order.clone())),
            (
                Index::ByState,
                Key::new(keys::resources_by_status(self.status.as_str()), order),
            ),
        ];
        if let Some(s) = &self.source {
            keys.push((
                Index::Due,
                Key::new(
                    keys::resources_source(&s.system, &s.collection),
                    s.document_id.clone(),
                ),
            ));
        }
        keys
    }
}

/// That a partner downloaded a resource (on a day, or ever): the conditional create that
/// makes a download count once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadMark {
    pub resource_id: String,
    pub partner_id: String,
    /// `YYYY-MM-DD`, or `ever`.
    pub day: String,
    /// Day marks expire after two days (TTL); the `ever` mark stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

impl Entity for DownloadMark {
    const KIND: &'static str = "resource_download";

    fn key(&self) -> Key {
        keys::resource_download(&self.resource_id, &self.partner_id, &self.day)
    }
}
