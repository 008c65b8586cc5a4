// Placeholder translation unit for a layer that has no sources yet.
namespace shardkit {
void EmptyLayerPlaceholder() {}
}  // namespace shardkit
