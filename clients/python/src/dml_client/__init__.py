"""Python client of DML, the decentralized machine-learning marketplace.

    from dml_client import Client, Key
    client = Client("http://127.0.0.1:8080")
    client.users.login("ada@example.org", "correct horse")
    print(client.ledger.account())

See clients/python/README.md.
"""
from . import calls, protocol
from .artifacts import ARTIFACT_BYTES_MAX, Downloaded
from .cid import cid_of, cid_of_file
from .client import Client
from .errors import DMLConnectionError, DMLError, DMLIntegrityError
from .jobs import DmlRunner, RunResult
from .keys import Key, KeyFileError, KeyStore, load_key, save_key
from .learning import Dataset, ModelWeights
from .protocol import DML, format_dml, parse_dml
from .storage import NodeClient

__version__ = "0.1.0"

__all__ = [
    "Client", "Key", "KeyStore", "KeyFileError", "load_key", "save_key", "DMLError", "DMLConnectionError",
    "DMLIntegrityError", "DML", "parse_dml", "format_dml", "cid_of", "cid_of_file", "calls", "protocol",
    "Downloaded", "ARTIFACT_BYTES_MAX", "DmlRunner", "RunResult", "Dataset", "ModelWeights", "NodeClient",
    "__version__",
]
