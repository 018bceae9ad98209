internal.exposeClass(module.exports.URLPattern, 'URLPattern');
})
