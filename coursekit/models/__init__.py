"""Keras models of the classic CNN architectures, from LeNet-5 to DenseNet.

Functional models built from named `keras.layers` and `keras.ops` only, so they run on
every Keras backend; the blocks they are made of (`vgg_block`, `inception_module`,
`residual_block`, `dense_block`) are public too. Importing this package does not import
Keras: each builder imports it when it runs, so the exercise registry, which names
some of these functions as references, stays light. One import line per module.
"""

from coursekit.models.classic import (
    alexnet,
    lenet5,
    local_response_normalization,
    vgg,
    vgg16,
    vgg_block,
)
from coursekit.models.dense import dense_block, densenet, transition
from coursekit.models.inception import googlenet, inception_module
from coursekit.models.inspection import build_without_weights, compare_probes, probe
from coursekit.models.residual import cifar_resnet, plain_block, residual_block, resnet
