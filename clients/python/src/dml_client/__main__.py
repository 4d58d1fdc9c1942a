"""python3 -m dml_client: the dml-client command line."""
from .cli import main

main()
