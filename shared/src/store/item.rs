//! Mapping entities to items and back, and items read in one batch.

use super::*;

/// Maps an entity to its full item: fields, key, kind and index keys.
pub fn to_item<T: Entity>(entity: &T) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(entity).map_err(|e| StoreError::Mapping(e.to_string()))?;
    // Every item's `kind` names its entity: a field of that name would be overwritten
    // silently (and read back as the entity name). Entities store such a field under
    // another name (`line_kind`, `resource_type`).
    if item.contains_key(keys::KIND) {
        return Err(StoreError::Mapping(format!(
            "{} has a field named `{}`, which every item uses for its entity kind",
            T::KIND,
            keys::KIND
        )));
    }
    let key = entity.key();
    item.insert(keys::PK.into(), AttributeValue::S(key.pk));
    item.insert(keys::SK.into(), AttributeValue::S(key.sk));
    item.insert(keys::KIND.into(), AttributeValue::S(T::KIND.into()));
    for (index, key) in entity.index_keys() {
        let (pk, sk) = index.attributes();
        item.insert(pk.into(), AttributeValue::S(key.pk));
        item.insert(sk.into(), AttributeValue::S(key.sk));
    }
    Ok(item)
}

/// Maps an item back to its entity (key and index attributes are ignored).
pub fn from_item<T: DeserializeOwned>(
    item: HashMap<String, AttributeValue>,
) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Mapping(e.to_string()))
}

/// The items of one batched read ([`Store::fetch`]), by key.
#[derive(Debug, Default)]
pub struct Fetched(pub(crate) HashMap<Key, Option<HashMap<String, AttributeValue>>>);

impl Fetched {
    /// The item at `key` as a `T` (`None` when absent or not asked for); each item is taken
    /// once.
    pub fn take<T: DeserializeOwned>(&mut self, key: &Key) -> Result<Option<T>, StoreError> {
        self.0.remove(key).flatten().map(from_item).transpose()
    }

    /// The items found under `keys`, as `T`s, in the order of `keys` (absent ones left out).
    pub fn take_present<T: DeserializeOwned>(
        &mut self,
        keys: &[Key],
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        for key in keys {
            if let Some(item) = self.take(key)? {
                out.push(item);
            }
        }
        Ok(out)
    }

    /// The item under each of `keys`, as `T` or `None`, in the order of `keys`.
    pub fn take_each<T: DeserializeOwned>(
        &mut self,
        keys: &[Key],
    ) -> Result<Vec<Option<T>>, StoreError> {
        keys.iter().map(|k| self.take(k)).collect()
    }
}

pub(crate) fn key_map(key: &Key) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (keys::PK.to_string(), AttributeValue::S(key.pk.clone())),
        (keys::SK.to_string(), AttributeValue::S(key.sk.clone())),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Clashing {
        id: String,
        kind: String,
    }

    impl Entity for Clashing {
        const KIND: &'static str = "clashing";
        fn key(&self) -> Key {
            Key::new("X", &self.id)
        }
    }

    #[test]
    fn a_field_named_kind_is_refused_rather_than_overwritten() {
        let e = Clashing {
            id: "1".into(),
            kind: "earning".into(),
        };
        assert!(matches!(to_item(&e), Err(StoreError::Mapping(m)) if m.contains("`kind`")));
    }
}
