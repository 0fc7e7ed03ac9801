{
  "targets": [
    {
      "target_name": "digitnet_native",
      "sources": [
        "native/binding.cc",
        "native/threadpool.cc",
        "native/gemm.cc",
        "native/gemm_avx512.cc",
        "native/gemm_avx2.cc",
        "native/conv.cc",
        "native/conv_filter.cc",
        "native/conv_single.cc",
        "native/winograd.cc",
        "native/pool.cc",
        "native/elementwise.cc",
        "native/binding_ops.cc",
        "native/activation.cc",
        "native/norm.cc",
        "native/avgpool.cc",
        "native/augment.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-fno-math-errno", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-maybe-uninitialized"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
    }
  ]
}
