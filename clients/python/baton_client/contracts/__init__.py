"""The contracts every room and every SDK client share: the ``BpmnProcess`` and
``LetsflowProcess`` interfaces (names, payloads, results, rejections) and the search
attributes. A leaf: it imports nothing of Baton's own, so ``store/``, ``workflows/``,
``operations/`` and ``api/`` all import it and none has to import upward."""
