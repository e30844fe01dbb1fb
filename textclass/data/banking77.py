"""The built-in source ``banking77``: 13,083 online-banking queries in 77 intents (Casanueva et al., 2020)."""
from textclass.data.registry import register_source
from textclass.data.remote import RemoteFile, RemoteFilesSource

_BASE = "https://raw.githubusercontent.com/PolyAI-LDN/task-specific-datasets/master/banking_data/"


@register_source("banking77")
class Banking77(RemoteFilesSource):
    description = "BANKING77 customer-support queries, 77 intents (Casanueva et al. 2020): 10,003 train, 3,080 test"
    folder = "banking77"
    files = {"train": ("train.csv", RemoteFile(_BASE + "train.csv", "cec64185f4197906aabce0781ef9a19b")),
             "test": ("test.csv", RemoteFile(_BASE + "test.csv", "8dcd9dc31b686c75ec1f24bf23c140cb"))}
    label_column = "category"
