from tests.reference.fixtures import _fresh_code_cache, loaded_url, tiny_area

__all__ = ["_fresh_code_cache", "loaded_url", "tiny_area"]
